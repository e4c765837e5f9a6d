"""The error of the site stage."""

from __future__ import annotations

from reportgen.errors import ReportgenError


class SiteError(ReportgenError):
    """The site cannot be built, indexed, written or served."""
