"""Who is acting: the agent named on a call, a decision or a look at full numbers.

Like git's user.name, an agent's name is set once: `$FOLLOWUP_AGENT`, else the user's
config file (`followup config agent NAME` writes it); a command's `--agent` names someone
else for one line. Nothing is recorded under a name nobody set: not the login name
(`root` on a shared machine), which is nobody's name on a call sheet.
"""

from __future__ import annotations

import os

from followup_cli.errors import FollowupError
from followup_cli.i18n import t
from followup_cli.text import agent_name


def config_path() -> str:
    """The user's own settings: `$XDG_CONFIG_HOME/followup/config.toml`
    (~/.config/followup/config.toml)."""
    base = os.environ.get("XDG_CONFIG_HOME") or os.path.join(os.path.expanduser("~"),
                                                              ".config")
    return os.path.join(base, "followup", "config.toml")


def known_agent() -> str | None:
    """The name this user set ($FOLLOWUP_AGENT, else the config file); None if none was."""
    agent = os.environ.get("FOLLOWUP_AGENT")
    if agent:
        return agent_name(agent, "FOLLOWUP_AGENT")
    path = config_path()
    if not os.path.exists(path):
        return None
    import tomllib

    value = tomllib.loads(_settings(path)).get("agent")
    if value is None:
        return None
    if not isinstance(value, str):
        raise FollowupError(t("{path}: {where}: {reason}", path=path, where="agent",
                              reason=t("expected text, e.g. agent = \"王芳\"")))
    try:
        return agent_name(value, "agent")
    except FollowupError as e:   # say which file holds the name refused
        raise FollowupError(t("{path}: {where}: {reason}", path=path, where="agent",
                              reason=e)) from None


def default_agent(given: str | None = None, option: str = "--agent") -> str:
    """Who acts: `given` (a command's --agent, or the `option` named), else the name this
    user set. FollowupError, saying how to set a name, when nobody did: nothing is recorded
    under an unknown name."""
    if given is not None:
        return agent_name(given, option)
    agent = known_agent()
    if agent is None:
        raise FollowupError(t("who is calling? Nothing is recorded under an unknown name. Set your "
                              "name once: followup config agent NAME (saved in {path}), or the "
                              "environment variable FOLLOWUP_AGENT=NAME", path=config_path()))
    return agent


def set_agent(name: str) -> str:
    """Write `name` into the user's config file (owner-only, whole or not at all), keeping
    whatever else the file holds; return the file's path."""
    import json
    import tomllib

    from followup_cli.output.files import write_text

    name = agent_name(name, "NAME")
    path = config_path()
    os.makedirs(os.path.dirname(path), mode=0o700, exist_ok=True)
    lines = _settings(path).splitlines() if os.path.exists(path) else []
    # top-level keys come before the first [table]: the name goes first, an old one goes
    top = next((i for i, line in enumerate(lines) if line.lstrip().startswith("[")), len(lines))
    kept = [line for i, line in enumerate(lines)
            if i >= top or line.split("=", 1)[0].strip() != "agent"]
    # a JSON string of a visible name (agent_name: no control characters) is a TOML string
    text = "\n".join([f"agent = {json.dumps(name, ensure_ascii=False)}", *kept]) + "\n"
    try:   # what else the file holds may keep the name from being read back: an [agent]
        read_back = tomllib.loads(text).get("agent")
    except tomllib.TOMLDecodeError:
        read_back = None
    if read_back != name:
        raise FollowupError(t("{path}: {where}: {reason}", path=path, where="agent",
                              reason=t("expected text, e.g. agent = \"王芳\"")))
    write_text(path, text, kind="toml")
    return path


def _settings(path: str) -> str:
    """The config file's text, if it is a settings file followup can read (as
    clinic_files.read_toml reads the clinic's); FollowupError naming the file if not.
    Not read_toml: that one keeps the file from ever being written in this process."""
    import tomllib

    from followup_cli.clinic_files import MAX_TOML_CHARS

    try:
        with open(path, encoding="utf-8-sig") as f:
            text = f.read(MAX_TOML_CHARS + 1)
        if len(text) > MAX_TOML_CHARS:
            raise FollowupError(t("{path}: larger than {limit}, not a settings file", path=path,
                                  limit="1 MB"))
        tomllib.loads(text)
    except UnicodeDecodeError:
        raise FollowupError(t("{path}: TOML syntax error: {reason}", path=path,
                              reason=t("not UTF-8"))) from None
    except tomllib.TOMLDecodeError as e:
        raise FollowupError(t("{path}: TOML syntax error: {reason}", path=path, reason=e)) from None
    return text
