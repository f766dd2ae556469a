"""Where an installed copy finds things, and who is acting (service mode)."""

from __future__ import annotations

import os
import pwd
import stat
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from complaintdesk.box import locations
from complaintdesk.domain.errors import DomainError
from complaintdesk.box.locations import (RunMode, ServiceModeRefusal, ServiceSettings, detect_mode,
                                     locate_config, locate_database, service_settings)

ME = pwd.getpwuid(os.getuid())
NOT_SET_UP = ServiceSettings(configured=False)
LOCAL = RunMode(False, ME.pw_name, ME.pw_uid, NOT_SET_UP)


def _service_mode(tmp_path) -> RunMode:
    return RunMode(True, "daemon", 1, ServiceSettings(True, ME.pw_name, "staff", tmp_path))


# ------------------------------------------------------------------ identity

def test_outside_service_mode_the_real_uid_counts_and_sudo_variables_are_ignored():
    settings = ServiceSettings(True, "nosuchservice-x", "g", Path("/var/lib/x"))
    mode = detect_mode(settings, {"SUDO_UID": "0", "SUDO_USER": "root", "USER": "root"})
    assert not mode.service and mode.login == ME.pw_name and mode.uid == os.getuid()


def _detect_as_service_account(env: dict[str, str]) -> tuple[str, str]:
    """detect_mode() in a process that runs as the service account, as sudo -u
    would make it: as root, a forked child that drops to ``nobody``; otherwise
    this process, with its own account named the service account."""
    import json

    def detect(service_user: str) -> tuple[str, str]:
        settings = ServiceSettings(True, service_user, "g", Path("/var/lib/x"))
        try:
            mode = detect_mode(settings, env)
        except DomainError as exc:
            return "refused", exc.message
        return ("service" if mode.service else "local"), mode.login

    if os.geteuid() != 0:
        return detect(ME.pw_name)
    nobody = pwd.getpwnam("nobody")
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # pragma: no cover - the child
        try:
            os.setgid(nobody.pw_gid)
            os.setuid(nobody.pw_uid)
            os.write(write, json.dumps(detect("nobody")).encode())
        finally:
            os._exit(0)
    os.close(write)
    with os.fdopen(read) as stream:
        answer = stream.read()
    os.waitpid(pid, 0)
    kind, login = json.loads(answer)
    return kind, login


def test_as_the_service_account_the_sudo_invoker_acts():
    assert _detect_as_service_account({"SUDO_UID": "1", "SUDO_USER": "daemon"}) == (
        "service", "daemon")


def test_root_is_never_a_service_account():
    settings = ServiceSettings(True, "root", "g", Path("/var/lib/x"))
    mode = detect_mode(settings, {"SUDO_UID": "1", "SUDO_USER": "daemon"})
    assert not mode.service and mode.login == ME.pw_name


@pytest.mark.parametrize("env", [{}, {"SUDO_UID": "1"}, {"SUDO_UID": "1", "SUDO_USER": "games"},
                                 {"SUDO_UID": "x", "SUDO_USER": "daemon"},
                                 {"SUDO_UID": "987654", "SUDO_USER": "ghost"}])
def test_as_the_service_account_without_a_consistent_sudo_invoker_nobody_acts(env):
    kind, message = _detect_as_service_account(env)
    assert kind == "refused" and "启动器" in message


def test_service_settings_from_the_system_config(tmp_path):
    config = tmp_path / "config.toml"
    assert service_settings(config) == NOT_SET_UP
    config.write_text('timezone = ""\n', encoding="utf-8")
    assert not service_settings(config).configured
    config.write_text('[service]\nuser = "cd"\ngroup = "cds"\ndata_dir = "/srv/cd"\n',
                      encoding="utf-8")
    settings = service_settings(config)
    assert (settings.configured, settings.user, settings.group) == (True, "cd", "cds")
    assert settings.database == Path("/srv/cd/complaintdesk.db")
    config.write_text('[service]\ndata_dir = "relative"\n', encoding="utf-8")
    with pytest.raises(DomainError, match="绝对路径"):
        service_settings(config)
    config.write_text('[service\n', encoding="utf-8")
    with pytest.raises(DomainError, match="系统配置"):
        service_settings(config)


# ------------------------------------------------------------------ database path

def test_database_prefers_the_option_then_the_environment(tmp_path):
    env = {"COMPLAINTDESK_DB": str(tmp_path / "env.db")}
    assert locate_database(LOCAL, str(tmp_path / "cli.db"), env).path == tmp_path / "cli.db"
    assert locate_database(LOCAL, None, env).path == tmp_path / "env.db"


def test_database_default_is_the_personal_data_dir_never_the_package(monkeypatch, tmp_path):
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg"))
    located = locate_database(LOCAL, None, {})
    assert located.path == tmp_path / "xdg" / "complaintdesk" / "complaintdesk.db"
    import complaintdesk

    assert Path(complaintdesk.__file__).parent not in located.path.parents
    locations.ensure_personal_dir(located)
    assert stat.S_IMODE(located.path.parent.stat().st_mode) == 0o700


def test_an_empty_db_option_is_refused():
    with pytest.raises(DomainError, match="--db"):
        locate_database(LOCAL, "  ", {})


@pytest.mark.parametrize("url", ["mysql://root@db/desk", "sqlite:///tmp/desk.db",
                                 "postgresql+asyncpg://u@h/d", "HTTP://example/desk"])
def test_another_databases_url_is_refused_not_taken_for_a_file(url):
    env = {"COMPLAINTDESK_DB": url}
    for cli_value, environ in ((url, {}), (None, env)):
        with pytest.raises(DomainError, match="不支持的数据库地址.*postgresql://"):
            locate_database(LOCAL, cli_value, environ)


@pytest.mark.parametrize("url", ["postgresql://u@h/d", "postgres://u@h/d"])
def test_a_postgresql_url_is_kept_as_it_is(url):
    assert locate_database(LOCAL, url, {}).path == url


def test_a_postgresql_url_in_capitals_is_the_same_url():
    assert locate_database(LOCAL, "PostgreSQL://u@h/D", {}).path == "postgresql://u@h/D"


@settings(max_examples=300, deadline=None)
@given(st.text(min_size=1).filter(str.strip))
def test_any_db_value_is_a_file_a_postgresql_url_or_a_refusal_in_words(value):
    """--db and $COMPLAINTDESK_DB are typed by people: whatever they hold gives a
    file path, a PostgreSQL URL, or a DomainError, never another exception."""
    try:
        located = locate_database(LOCAL, value, {}).path
    except DomainError as refused:
        assert "://" in value and "postgresql://" in refused.message
        return
    assert isinstance(located, Path) or located.split("://", 1)[0] in (
        "postgresql", "postgres", "postgresql+psycopg")


def test_a_box_set_up_for_service_mode_points_direct_runs_at_the_service_database(tmp_path):
    mode = RunMode(False, ME.pw_name, ME.pw_uid, ServiceSettings(True, "cd", "g", tmp_path))
    assert locate_database(mode, None, {}).path == tmp_path / "complaintdesk.db"


@pytest.mark.parametrize("cli, env", [("/tmp/mine.db", {}), (None, {"COMPLAINTDESK_DB": "/tmp/x"}),
                                      ("", {})])
def test_service_mode_refuses_any_database_path(tmp_path, cli, env):
    with pytest.raises(ServiceModeRefusal, match="服务模式"):
        locate_database(_service_mode(tmp_path), cli, env)
    assert locate_database(_service_mode(tmp_path), None, {}).path == tmp_path / "complaintdesk.db"


def test_service_mode_refuses_paths_for_input_and_output(tmp_path):
    with pytest.raises(ServiceModeRefusal, match="标准输入/输出"):
        locations.refuse_path_in_service_mode(_service_mode(tmp_path), "输出文件")
    locations.refuse_path_in_service_mode(LOCAL, "输出文件")  # no refusal


# ------------------------------------------------------------------ configuration

def test_config_order_environment_system_xdg_defaults(monkeypatch, tmp_path):
    system = tmp_path / "etc.toml"
    monkeypatch.setattr(locations, "SYSTEM_CONFIG", system)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg"))
    assert locate_config(LOCAL, {}).path is None
    personal = tmp_path / "xdg" / "complaintdesk" / "config.toml"
    personal.parent.mkdir(parents=True)
    personal.write_text("", encoding="utf-8")
    assert locate_config(LOCAL, {}).path == personal
    system.write_text("", encoding="utf-8")
    assert locate_config(LOCAL, {}).path == system
    named = tmp_path / "named.toml"
    assert locate_config(LOCAL, {"COMPLAINTDESK_CONFIG": str(named)}).path == named


def test_service_mode_reads_only_the_system_config(monkeypatch, tmp_path):
    system = tmp_path / "etc.toml"
    monkeypatch.setattr(locations, "SYSTEM_CONFIG", system)
    mode = _service_mode(tmp_path)
    assert locate_config(mode, {"COMPLAINTDESK_CONFIG": "/tmp/evil.toml"}).path is None
    system.write_text("", encoding="utf-8")
    assert locate_config(mode, {"COMPLAINTDESK_CONFIG": "/tmp/evil.toml"}).path == system


def test_the_reference_config_ships_in_the_package():
    from complaintdesk.domain.config import REFERENCE_CONFIG_PATH, DeskConfig, load_config

    assert "[deadlines.urgent]" in locations.reference_config_text()
    assert load_config(REFERENCE_CONFIG_PATH).limits == DeskConfig().limits


def test_adding_someone_outside_the_sharing_group_warns(tmp_path):
    import grp

    shared = tmp_path / "desk.db"
    shared.write_bytes(b"")
    shared.chmod(0o600)
    assert locations.access_warning(LOCAL, shared, "daemon") is None  # personal file
    shared.chmod(0o660)
    group = grp.getgrgid(shared.stat().st_gid).gr_name
    warning = locations.access_warning(LOCAL, shared, "daemon")
    if "daemon" in locations.group_members(group):
        assert warning is None
    else:
        assert warning is not None and f"usermod -aG {group} daemon" in warning
    mode = RunMode(True, "root", 0, ServiceSettings(True, "cd", "nosuchgroup-x", tmp_path))
    assert "nosuchgroup-x" in locations.access_warning(mode, shared, "daemon")
