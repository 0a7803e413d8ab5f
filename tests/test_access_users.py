"""Users file, roles, local login with lockout, and the ``pantau user`` / ``dashboard`` commands.

Real files in tmp_path, real argon2 hashes, the CLI through ``pantau_cli.main`` (stdin for
``--password-stdin``). The lockout clock is passed in (``now=``), nothing is mocked.
"""

from __future__ import annotations

import io
import json
import os
import stat
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from test_audit import run

from pantau import audit
from pantau.access import (
    LockoutPolicy,
    UsersFile,
    auth_setup,
    authenticate,
    hash_password,
    make_user,
    may,
    roles,
)
from pantau.access.setup import check_binding, streamlit_secrets, write_streamlit_secrets
from pantau.config import Settings, load_settings
from pantau.errors import ConfigError, LoginError, UsersFileError

BATAM = "Dinas Kesehatan Kota Batam"
T0 = datetime(2026, 11, 30, 9, 0, tzinfo=UTC)


@pytest.fixture
def files(tmp_path: Path) -> tuple[UsersFile, audit.AuditLog]:
    users = UsersFile(tmp_path / "x.users.json")
    user = make_user("Budi", roles.KEPALA_DINAS, [BATAM])
    from dataclasses import replace

    users.add(replace(user, password_hash=hash_password("benar-sekali")))
    return users, audit.AuditLog(tmp_path / "x.audit.jsonl")


def test_roles_grant_what_the_issue_says() -> None:
    assert may("kepala_dinas", roles.EXPORT) and not may("kepala_dinas", roles.ACCEPT)
    assert may("inspektorat", roles.ACCEPT) and may("inspektorat", roles.EVIDENCE)
    assert not may("analis", roles.UPLOAD) and may("analis", roles.EXPORT)
    assert all(may("admin", p) for p in (roles.UPLOAD, roles.ANALYZE, roles.MODELS, roles.MAPPINGS, roles.USERS))
    assert not any(may(r, roles.AUDIT) for r in roles.ROLES if r != roles.ADMIN)
    assert not may("nobody", roles.READ)


def test_records_are_checked(tmp_path) -> None:
    with pytest.raises(UsersFileError, match="named agencies only"):
        make_user("a", roles.KEPALA_DINAS, None)
    with pytest.raises(UsersFileError, match="limited to units"):
        make_user("a", roles.ANALIS, [BATAM], ["Puskesmas Sekupang"])
    with pytest.raises(UsersFileError, match="unknown role"):
        make_user("a", "bupati", [BATAM])
    with pytest.raises(UsersFileError, match="usable user name"):
        make_user("a b", roles.ANALIS, [BATAM])
    with pytest.raises(UsersFileError, match="shorter than"):
        hash_password("pendek")
    user = make_user("Siti", roles.KEPALA_DINAS, [BATAM, BATAM], ["Puskesmas Sekupang"])
    assert user.name == "siti" and user.scope.agencies == (BATAM,) and user.scope.units == ("Puskesmas Sekupang",)


def test_the_users_file_is_private_and_holds_hashes_only(files) -> None:
    users, _log = files
    mode = stat.S_IMODE(users.path.stat().st_mode)
    assert mode == 0o600
    text = users.path.read_text()
    assert "benar-sekali" not in text and "$argon2id$" in text
    with pytest.raises(UsersFileError, match="already exists"):
        users.add(make_user("budi", roles.ANALIS, [BATAM]))


def test_login_succeeds_and_failures_are_recorded(files) -> None:
    users, log = files
    with pytest.raises(LoginError) as wrong:
        authenticate(users, log, "budi", "salah-sekali", now=T0)
    assert wrong.value.reason == "password"
    with pytest.raises(LoginError) as unknown:
        authenticate(users, log, "benar-sekali", "x", now=T0)  # a password typed as the name
    assert unknown.value.reason == "unknown"
    assert authenticate(users, log, "BUDI", "benar-sekali", now=T0).name == "budi"
    kinds = [(e.user, e.event, e.details.get("reason")) for e in log.entries()]
    assert kinds == [("budi", "login_failed", "password"), ("?", "login_failed", "unknown"),
                     ("budi", "login", None)]
    assert "benar-sekali" not in log.path.read_text()  # the mistyped name is hashed


def test_five_failures_in_fifteen_minutes_lock_for_fifteen_minutes(files) -> None:
    users, log = files
    policy = LockoutPolicy(after=5, minutes=15)
    for i in range(4):
        with pytest.raises(LoginError):
            authenticate(users, log, "budi", "salah", policy=policy, now=T0 + timedelta(minutes=3 * i))
    with pytest.raises(LoginError) as fifth:
        authenticate(users, log, "budi", "salah", policy=policy, now=T0 + timedelta(minutes=12))
    assert fifth.value.reason == "locked"
    lock_at = T0 + timedelta(minutes=12)
    # the right password does not help while locked, and does not extend the lock
    with pytest.raises(LoginError) as locked:
        authenticate(users, log, "budi", "benar-sekali", policy=policy, now=lock_at + timedelta(minutes=14))
    assert locked.value.reason == "locked" and locked.value.until == lock_at + timedelta(minutes=15)
    assert authenticate(users, log, "budi", "benar-sekali", policy=policy,
                        now=lock_at + timedelta(minutes=15, seconds=1)).name == "budi"
    assert [e.event for e in log.entries()].count("lockout") == 1


def test_failures_spread_over_more_than_the_window_do_not_lock(files) -> None:
    users, log = files
    for i in range(6):  # one every four minutes: never five within fifteen
        with pytest.raises(LoginError) as err:
            authenticate(users, log, "budi", "salah", now=T0 + timedelta(minutes=4 * i))
        assert err.value.reason == "password"


def test_a_successful_login_resets_the_count(files) -> None:
    users, log = files
    for i in range(4):
        with pytest.raises(LoginError):
            authenticate(users, log, "budi", "salah", now=T0 + timedelta(minutes=i))
    authenticate(users, log, "budi", "benar-sekali", now=T0 + timedelta(minutes=5))
    with pytest.raises(LoginError) as err:
        authenticate(users, log, "budi", "salah", now=T0 + timedelta(minutes=6))
    assert err.value.reason == "password"


def test_disabled_users_cannot_log_in(files) -> None:
    users, log = files
    users.update("budi", disabled=True)
    with pytest.raises(LoginError):
        authenticate(users, log, "budi", "benar-sekali", now=T0)


def test_cli_user_commands(tmp_path, analysed_db, monkeypatch, capsys) -> None:
    db = tmp_path / "store.duckdb"
    db.write_bytes(analysed_db.read_bytes())
    monkeypatch.setattr("sys.stdin", io.StringIO("rahasia-batam\n"))
    assert run(["user", "add", "budi", "--role", "kepala_dinas", "--agency", BATAM, "--password-stdin",
                "--db", str(db)]) == 0
    assert run(["user", "add", "ina", "--role", "inspektorat", "--all-agencies", "--no-password",
                "--email", "Ina@Inspektorat.go.id", "--db", str(db)]) == 0
    assert run(["user", "add", "x", "--role", "analis", "--agency", "Dinas Kesehatan Kota Batem",
                "--no-password", "--email", "x@y", "--db", str(db)]) == 1
    assert "did you mean" in capsys.readouterr().err
    assert run(["user", "disable", "budi", "--db", str(db)]) == 0
    capsys.readouterr()
    assert run(["user", "list", "--db", str(db), "--json"]) == 0
    listed = {u["name"]: u for u in map(json.loads, capsys.readouterr().out.splitlines())}
    assert listed["budi"]["disabled"] and listed["budi"]["password_hash"] is True
    assert listed["ina"]["agencies"] == "*" and listed["ina"]["email"] == "ina@inspektorat.go.id"
    monkeypatch.setattr("sys.stdin", io.StringIO("kata-sandi-baru\n"))
    assert run(["user", "passwd", "budi", "--password-stdin", "--db", str(db)]) == 0
    users = UsersFile(db.with_name("store.users.json"))
    from pantau.access.users import password_matches

    assert password_matches(users.get("budi"), "kata-sandi-baru")
    changes = [(e.event, e.details["action"], e.details["target"])
               for e in audit.AuditLog(db.with_name("store.audit.jsonl")).entries()]
    assert changes == [("user_change", "add", "budi"), ("user_change", "add", "ina"),
                       ("user_change", "disable", "budi"), ("user_change", "passwd", "budi")]


def test_dashboard_refuses_another_address_without_logins(tmp_path, analysed_db, capsys) -> None:
    setup = auth_setup(Settings(), analysed_db, mode="none")
    check_binding(setup, "127.0.0.1")
    check_binding(setup, "::1")
    with pytest.raises(ConfigError, match="without logins") as err:
        check_binding(setup, "0.0.0.0")
    assert "--auth local" in err.value.hint
    check_binding(auth_setup(Settings(), analysed_db, mode="local"), "0.0.0.0")
    assert run(["dashboard", "--db", str(analysed_db), "--auth", "none", "--address", "0.0.0.0"]) == 1
    assert "refusing to listen on 0.0.0.0" in capsys.readouterr().err
    db = tmp_path / "s.duckdb"
    db.write_bytes(analysed_db.read_bytes())
    assert run(["dashboard", "--db", str(db), "--auth", "local"]) == 1
    assert "no user can log in yet" in capsys.readouterr().err


def test_settings_give_the_files_and_streamlit_secrets(tmp_path, monkeypatch) -> None:
    monkeypatch.delenv("PANTAU_CONFIG", raising=False)
    monkeypatch.delenv("PANTAU_AUTH", raising=False)
    (tmp_path / "pantau.toml").write_text(
        '[auth]\nmode = "oidc"\nidle_minutes = 5\naudit_file = "logs/audit.jsonl"\n'
        '[auth.oidc]\nserver_metadata_url = "http://127.0.0.1:9/.well-known/openid-configuration"\n'
        'client_id = "pantau"\n', encoding="utf-8")
    store = tmp_path / "x.duckdb"
    setup = auth_setup(load_settings(store=store), store)
    assert setup.mode == "oidc" and setup.idle_minutes == 5
    assert setup.audit_file == tmp_path / "logs" / "audit.jsonl" and setup.users_file == tmp_path / "x.users.json"
    with pytest.raises(ConfigError, match="client_secret"):
        streamlit_secrets(setup, "c" * 32)
    monkeypatch.setenv("PANTAU_OIDC_CLIENT_SECRET", 'rahasia"klien')
    path = write_streamlit_secrets(setup, store)
    import tomllib

    secrets = tomllib.loads(path.read_text())
    assert secrets["auth"]["pantau"]["client_secret"] == 'rahasia"klien'
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    kept = secrets["auth"]["cookie_secret"]
    assert tomllib.loads(write_streamlit_secrets(setup, store).read_text())["auth"]["cookie_secret"] == kept
    with pytest.raises(ConfigError, match="unknown auth mode"):
        auth_setup(Settings(), store, mode="ldap")
