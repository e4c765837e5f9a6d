-- Settings of every connection reportgen opens: no progress bar on the terminal.
SET enable_progress_bar = false;
