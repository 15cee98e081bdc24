"""Data stays inside its roots: a scheme reads files only from its own folder and the folders
the operator allows (`--data-root`, `APPRAISAL_DATA_ROOTS`), never from where it points."""

from __future__ import annotations

import re
import textwrap
from pathlib import Path

import pytest

from appraisal.errors import DataError, SchemeError
from appraisal.pipeline import load_scheme
from appraisal.plugins import extensions
from appraisal.scheme.data_roots import ENV, allowing

HOW = "allow its folder with --data-root or APPRAISAL_DATA_ROOTS, or move the file into the scheme's folder"


def scheme_text(roster: str = "roster.csv", tickets: str = "tickets.csv", roster_extra: str = "") -> str:
    return textwrap.dedent(f"""\
        scheme: roots
        version: 1
        title: Roots
        period: month
        roster: {{source: csv, path: {roster}, key: agent_id{roster_extra}}}
        datasets:
          tickets:
            source: csv
            path: {tickets}
            appraisee: agent_id
            period_by: created_at
            columns: {{agent_id: text, created_at: timestamp, status: text}}
        indicators:
          - id: resolved
            title: Resolved tickets
            measure: {{dataset: tickets, agg: count, where: "status == 'resolved'"}}
            target: 2
            score: {{curve: linear, worst: 0, best: 3}}
            weight: 100
        grades: {{A: 90, B: 0}}
        """)


def write_data(folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "roster.csv").write_text("agent_id\na1\na2\n", encoding="utf-8")
    (folder / "tickets.csv").write_text(
        "agent_id,created_at,status\na1,2026-09-01 10:00,resolved\na1,2026-09-02 10:00,resolved\n"
        "a2,2026-09-03 10:00,open\n",
        encoding="utf-8",
    )
    return folder


def write_scheme(folder: Path, text: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "scheme.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def measured(run_cli, scheme: Path, *options: str, env: dict[str, str] | None = None):  # type: ignore[no-untyped-def]
    return run_cli("measure", str(scheme), "-p", "2026-09", "--json", *options, env=env)


def test_data_in_the_scheme_folder_and_below_is_read(tmp_path, run_cli):
    write_data(tmp_path / "data")
    scheme = write_scheme(tmp_path, scheme_text("data/roster.csv", "./data/sub/../tickets.csv"))
    result = measured(run_cli, scheme)
    assert result.exit_code == 0, result.stderr
    assert '"value": 2' in result.stdout


def test_a_roster_at_etc_passwd_is_refused_unread(tmp_path, run_cli):
    write_data(tmp_path)
    scheme = write_scheme(tmp_path,
                          scheme_text("/etc/passwd", roster_extra=', options: {delimiter: ":", header: false}'))
    for command in (("validate", str(scheme)), ("measure", str(scheme), "-p", "2026-09")):
        result = run_cli(*command)
        assert result.exit_code == 1
        assert result.stderr.splitlines()[0] == (
            f"{scheme}:5:29: roster.path: path '/etc/passwd' is outside the scheme's folder (an absolute path); {HOW}")
        assert "daemon" not in result.stdout + result.stderr and "nologin" not in result.stdout + result.stderr


def test_a_dotdot_escape_is_refused_and_allowed_by_a_data_root(tmp_path, run_cli):
    exports = write_data(tmp_path / "exports")
    scheme = write_scheme(tmp_path / "schemes", scheme_text("../exports/roster.csv", "../exports/tickets.csv"))
    refused = measured(run_cli, scheme)
    assert refused.exit_code == 1
    assert refused.stderr.splitlines()[0] == (
        f"{scheme}:5:29: roster.path: path '../exports/roster.csv' is outside the scheme's folder "
        f"('..' climbs out of the scheme's folder); {HOW}")
    assert len(refused.stderr.splitlines()) == 2  # the roster and the tickets, nothing else
    allowed = measured(run_cli, scheme, "--data-root", str(exports))
    assert allowed.exit_code == 0, allowed.stderr


def test_a_symbolic_link_out_of_the_folder_is_refused(tmp_path, run_cli):
    outside = write_data(tmp_path / "outside")
    folder = write_data(tmp_path / "scheme")
    (folder / "tickets.csv").unlink()
    (folder / "tickets.csv").symlink_to(outside / "tickets.csv")
    scheme = write_scheme(folder, scheme_text())
    refused = measured(run_cli, scheme)
    assert refused.exit_code == 1
    assert refused.stderr.splitlines()[0] == (
        f"{scheme}:9:11: datasets.tickets.path: path 'tickets.csv' is outside the scheme's folder "
        f"(a symbolic link points out of them); {HOW}")
    assert measured(run_cli, scheme, "--data-root", str(outside)).exit_code == 0


def test_an_absolute_path_is_allowed_by_the_environment(tmp_path, run_cli):
    exports = write_data(tmp_path / "exports")
    scheme = write_scheme(tmp_path / "schemes", scheme_text(str(exports / "roster.csv"), str(exports / "tickets.csv")))
    assert measured(run_cli, scheme).exit_code == 1
    allowed = measured(run_cli, scheme, env={ENV: str(exports)})
    assert allowed.exit_code == 0, allowed.stderr


def test_the_environment_lists_several_roots(tmp_path, run_cli):
    import os

    roster, tickets = write_data(tmp_path / "people"), write_data(tmp_path / "tickets")
    scheme = write_scheme(tmp_path / "schemes", scheme_text(str(roster / "roster.csv"), str(tickets / "tickets.csv")))
    result = measured(run_cli, scheme, env={ENV: os.pathsep.join([str(roster), str(tickets)])})
    assert result.exit_code == 0, result.stderr


def test_a_data_root_that_does_not_exist_is_named(tmp_path, run_cli):
    scheme = write_scheme(write_data(tmp_path), scheme_text())
    result = measured(run_cli, scheme, env={ENV: str(tmp_path / "gone")})
    assert result.exit_code == 1
    assert result.stderr.strip() == f"data root '{tmp_path / 'gone'}' (from APPRAISAL_DATA_ROOTS) does not exist"


def test_the_option_needs_an_existing_folder(tmp_path, run_cli):
    scheme = write_scheme(write_data(tmp_path), scheme_text())
    assert measured(run_cli, scheme, "--data-root", str(tmp_path / "gone")).exit_code == 2


def test_validate_says_what_measure_will_refuse(tmp_path, run_cli):
    exports = write_data(tmp_path / "exports")
    scheme = write_scheme(tmp_path / "schemes", scheme_text("../exports/roster.csv"))
    assert run_cli("validate", str(scheme)).exit_code == 1
    assert run_cli("validate", str(scheme), "--data-root", str(exports)).exit_code == 0


def test_the_python_api_allows_roots_within_a_block(tmp_path):
    from appraisal.periods import parse_period
    from appraisal.pipeline import run

    exports = write_data(tmp_path / "exports")
    scheme = write_scheme(tmp_path / "schemes", scheme_text("../exports/roster.csv", "../exports/tickets.csv"))
    with pytest.raises(SchemeError, match=re.escape("'..' climbs out")):
        load_scheme(scheme)
    with allowing([exports]):
        result = run(load_scheme(scheme), parse_period("2026-09"))
    assert [a.id for a in result.appraisees] == ["a1", "a2"]


def test_the_engine_refuses_a_link_made_after_the_scheme_was_checked(tmp_path):
    from appraisal.engines.duckdb_engine import open_engine

    outside = write_data(tmp_path / "outside")
    folder = write_data(tmp_path / "scheme")
    loaded = load_scheme(write_scheme(folder, scheme_text()))
    (folder / "tickets.csv").unlink()
    (folder / "tickets.csv").symlink_to(outside / "tickets.csv")
    with pytest.raises(DataError) as caught:
        open_engine(loaded, extensions().sources)
    assert str(caught.value) == (f"dataset 'tickets': path 'tickets.csv' is outside the scheme's folder "
                                 f"(a symbolic link points out of them); {HOW}")


def test_explain_reads_rows_only_inside_the_roots(tmp_path, run_cli):
    exports = write_data(tmp_path / "exports")
    scheme = write_scheme(tmp_path / "schemes", scheme_text("../exports/roster.csv", "../exports/tickets.csv"))
    out = tmp_path / "q"
    ran = run_cli("run", str(scheme), "-p", "2026-09", "-o", str(out), "--no-report", "--data-root", str(exports))
    assert ran.exit_code == 0, ran.stderr
    refused = run_cli("explain", str(out), "-a", "a1", "-i", "resolved")
    assert refused.exit_code == 1 and "'..' climbs out of the scheme's folder" in refused.stderr
    shown = run_cli("explain", str(out), "-a", "a1", "-i", "resolved", "--data-root", str(exports))
    assert shown.exit_code == 0, shown.stderr
    assert "2026-09-02 10:00:00" in shown.stdout


def test_a_path_holding_a_nul_character_is_refused(tmp_path, run_cli):
    scheme = write_scheme(write_data(tmp_path), scheme_text(tickets='"tickets\\0.csv"'))
    result = run_cli("validate", str(scheme))
    assert result.exit_code == 1
    assert result.stderr.splitlines()[0] == (
        f"{scheme}:9:11: datasets.tickets.path: path 'tickets\\x00.csv' does not name a file that can be found")


# --- messages never quote a file that did not read as declared ----------------------------


def test_a_file_with_none_of_the_named_columns_is_not_quoted(tmp_path, run_cli):
    folder = write_data(tmp_path)
    (folder / "tickets.csv").write_text("a1,2026-09-02 10:00,resolved,secret value,another\n", encoding="utf-8")
    result = measured(run_cli, write_scheme(folder, scheme_text()))
    assert result.exit_code == 1
    assert result.stderr.strip() == (
        "dataset 'tickets': the file has no column 'agent_id'; its first line has none of the declared columns: "
        "check path, options.delimiter and options.header")


def test_a_line_the_reader_could_not_read_is_counted_never_quoted(tmp_path, run_cli):
    folder = write_data(tmp_path)
    (folder / "tickets.csv").write_bytes(b"agent_id,created_at,status\na1,2026-09-01 10:00,resolved\n"
                                         b"a1,2026-09-01 10:00,secret \xff value\n")
    result = measured(run_cli, write_scheme(folder, scheme_text()))
    assert result.exit_code == 1  # one row of three is too many to measure on
    assert "tickets: 1 of 3 rows (33.3%) invalid text encoding: error, above 5%" in result.stderr
    assert "secret" not in result.stderr and "Original Line" not in result.stderr
