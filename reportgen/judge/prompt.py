"""The judge prompt: a Jinja2 template with the blocks ``system``, ``user`` and
``answer_prefix``, wrapped in the model's own chat template so that the prompt ends
exactly where the next token is the verdict letter."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

import jinja2
from jinja2.sandbox import ImmutableSandboxedEnvironment

from reportgen.errors import UsageError
from reportgen.resources import resource_dir

LETTERS = ("A", "B")
LOCAL_CHAT_FIX = "use a GGUF of the model whose chat template works"
BLOCKS = ("system", "user", "answer_prefix")
# What a template's Python code raises besides Jinja's own errors (e.g. a filter on the wrong type): a render failure
RENDER_ERRORS = (TypeError, ValueError, ArithmeticError, LookupError)


# The bundled pairwise.j2 before it left out the reference and the paper where a run has none: the same
# prompts for runs grouped by paper whose items all have a reference (a judge recorded with it goes on there).
EARLIER_DEFAULT_SHA256 = "19feb4ff5c77beb0ea6f98575fa7963ee0ac4eca446a128a5ab09ff706c37c40"


def default_template_path(name: str = "pairwise.j2") -> Path:
    return resource_dir("templates") / "judge" / name


def _sha(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def read_text(path: Path, what: str, fix: str = "") -> str:
    """A template file's text (UTF-8), or a UsageError naming the file: ``what`` it is ("cannot read <what>"),
    ``fix`` what to do when it cannot be read."""
    try:
        return Path(path).read_text(encoding="utf-8")
    except OSError as exc:
        raise UsageError(f"cannot read {what} ({exc.strerror}){fix}", path=path) from None
    except UnicodeDecodeError as exc:
        raise UsageError(f"is not UTF-8 text (byte 0x{exc.object[exc.start]:02x} at offset {exc.start}); save it "
                         "as UTF-8", path=path) from None


@dataclass(frozen=True)
class Messages:
    system: str
    user: str
    answer_prefix: str


class JudgeTemplate:
    """A judge prompt template file (``templates/judge/pairwise.j2`` or the user's own)."""

    def __init__(self, path: Path | None = None, *, name: str = "pairwise.j2"):
        self.path = Path(path) if path is not None else default_template_path(name)
        self.text = read_text(self.path, "the judge template", "; pass --template PATH to a Jinja2 file")
        env = ImmutableSandboxedEnvironment(undefined=jinja2.StrictUndefined, keep_trailing_newline=False)
        try:
            self._template = env.from_string(self.text)
        except jinja2.TemplateSyntaxError as exc:
            raise UsageError(f"is not a valid Jinja2 template ({exc.message})", path=self.path,
                             line=exc.lineno) from None
        missing = [b for b in BLOCKS if b not in self._template.blocks]
        if missing:
            raise UsageError(f"needs the blocks {', '.join(BLOCKS)}; it lacks {', '.join(missing)} "
                             "(see templates/judge/pairwise.j2)", path=self.path)
        self.sha256 = _sha(self.text)

    def messages(self, **variables) -> Messages:
        ctx = self._template.new_context(variables)
        try:
            parts = {b: "".join(self._template.blocks[b](ctx)).strip() for b in BLOCKS}
        except jinja2.UndefinedError as exc:
            raise UsageError(f"uses an unknown variable ({exc.message})", path=self.path,
                             line=_template_line(exc, self._template)) from None
        except jinja2.TemplateError as exc:     # raise_exception, a sandbox refusal, ...
            raise UsageError(f"failed to render ({exc.message or type(exc).__name__})", path=self.path,
                             line=_template_line(exc, self._template)) from None
        except RENDER_ERRORS as exc:
            raise UsageError(f"failed to render ({type(exc).__name__}: {exc})", path=self.path,
                             line=_template_line(exc, self._template)) from None
        return Messages(**parts)

    @staticmethod
    def combined_sha(template: "JudgeTemplate", chat: "ChatFormat") -> str:
        """One hash for what decides the prompt text: the judge template and the chat template."""
        return _sha(template.sha256 + "\n" + chat.sha256)

    def earlier_combined_sha(self, chat: "ChatFormat") -> str | None:
        """``combined_sha`` of the earlier bundled pairwise.j2 (see EARLIER_DEFAULT_SHA256), for the bundled one."""
        if self.path != default_template_path():
            return None
        return _sha(EARLIER_DEFAULT_SHA256 + "\n" + chat.sha256)


def _template_line(exc: BaseException, template: jinja2.Template) -> int | None:
    """The template line a Jinja runtime error came from: the last frame of the template's compiled code
    ("<template>"), mapped back to the template's own lines; None where there is none."""
    tb, line = exc.__traceback__, None
    while tb is not None:
        if tb.tb_frame.f_code.co_filename == "<template>":
            line = template.get_corresponding_lineno(tb.tb_lineno)
        tb = tb.tb_next
    return line


class ChatFormat:
    """Turn system + user message + assistant prefix into one prompt string, with the
    model's chat template (``tokenizer.chat_template``) or a plain layout when it has none.
    ``source``: the file it came from (a GGUF, a tokenizer_config.json or a Jinja file), named in errors."""

    def __init__(self, chat_template: str | None, *, eos_token: str = "", source: Path | str | None = None,
                 fix: str = "pass --chat-template FILE with a working one"):
        self.chat_template = chat_template
        self.fix = fix
        self.eos_token = eos_token
        self.source = str(source) if source is not None else "the chat template"
        self._template = None
        if chat_template:
            env = ImmutableSandboxedEnvironment(trim_blocks=True, lstrip_blocks=True)
            env.globals["raise_exception"] = _raise
            try:
                self._template = env.from_string(chat_template)
            except jinja2.TemplateSyntaxError as exc:
                raise UsageError(f"its chat template is not valid Jinja2 ({exc.message}, line {exc.lineno} of the "
                                 f"template); {self.fix}", path=self.source) from None
        self.sha256 = _sha(chat_template or "<plain>")

    def render(self, m: Messages) -> str:
        if self._template is None:
            return f"{m.system}\n\n{m.user}\n\n{m.answer_prefix}"
        messages = [{"role": "system", "content": m.system}, {"role": "user", "content": m.user}]
        try:
            try:
                head = self._render(messages)
            except jinja2.TemplateError:
                # Some chat templates refuse a system message: fold it into the user message.
                head = self._render([{"role": "user", "content": f"{m.system}\n\n{m.user}"}])
        except (jinja2.TemplateError, *RENDER_ERRORS) as exc:
            what = (isinstance(exc, jinja2.TemplateError) and exc.message) or f"{type(exc).__name__}: {exc}"
            raise UsageError(f"its chat template failed to render the judge's messages ({what}); {self.fix}",
                             path=self.source) from None
        return head + m.answer_prefix

    def _render(self, messages: list[dict]) -> str:
        return self._template.render(messages=messages, add_generation_prompt=True, bos_token="",
                                     eos_token=self.eos_token)


def _raise(message: str):
    raise jinja2.TemplateError(message)


@dataclass(frozen=True)
class PairPrompts:
    """The two prompts of one item: order 1 shows the base answer first, order 2 the fine-tuned one."""
    item_key: str
    base_first: str
    finetuned_first: str


def _common(item: dict) -> dict:
    """The variables every judge prompt gets: question, paper (the item's group), group (None where the
    run groups by paper, else "dataset", "cluster" or "category") and reference (None where there is none)."""
    return dict(question=item["question"], paper=item["paper"], group=item.get("group_label"),
                reference=item["reference_answer"])


def pair_prompts(template: JudgeTemplate, chat: ChatFormat, item: dict) -> PairPrompts:
    common = _common(item)
    one = template.messages(**common, answer_a=item["base_answer"], answer_b=item["finetuned_answer"])
    two = template.messages(**common, answer_a=item["finetuned_answer"], answer_b=item["base_answer"])
    return PairPrompts(item["item_key"], chat.render(one), chat.render(two))


def explain_prompt(template: JudgeTemplate, chat: ChatFormat, item: dict) -> str:
    m = template.messages(**_common(item), base=item["base_answer"], finetuned=item["finetuned_answer"])
    return chat.render(m)
