"""``newsvault import``: nothing lost, exact accounting, clear reasons, no damage on failure."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from conftest import SEED, SEED_URL
from newsvault.archive import Archive
from newsvault.importer import import_paths
from newsvault.record import parse

CANONICAL = "<!--1699359302000-->\n[{title}](https://www.rfi.fr/cn/{slug})\n------\n\n<p>{body}</p>\n"


def accounting_holds(report: dict) -> bool:
    return report["imported"] + report["revisions"] + report["unchanged"] + report["rejected"] == report["seen"]


def snapshot(root: Path) -> dict[str, bytes]:
    """Every file of the archive except derived data."""
    return {
        str(p.relative_to(root)): p.read_bytes()
        for p in sorted(root.rglob("*"))
        if p.is_file() and ".newsvault" not in p.parts
    }


def test_whole_corpus_imports_without_loss_and_only_once(tmp_path, corpus, cli):
    root = tmp_path / "a"
    cli("init", str(root), check=True)
    first = json.loads(cli("-C", str(root), "import", str(corpus), "--json", check=True).stdout)
    assert accounting_holds(first)
    assert first["seen"] == 555  # tests/corpus: 553 records and 2 READMEs
    assert sorted(Path(r["path"]).relative_to(corpus).as_posix() for r in first["rejects"]) == ["README.md", "cdt/README.md"]
    assert first["imported"] > 300 and first["revisions"] > 90

    # Every accepted file is in the archive: its text is the text of some version.
    archive = Archive.open(root)
    hashes = {v.content_hash for a in archive.catalog.list_articles() for v in archive.catalog.versions(a.id)}
    for path in corpus.rglob("*"):
        if path.is_file() and path.name != "README.md":
            assert parse(path.read_bytes()).text_hash in hashes, path
    archive.close()

    files_before = snapshot(root)
    second = json.loads(cli("-C", str(root), "import", str(corpus), "--json", check=True).stdout)
    assert (second["imported"], second["revisions"], second["rejected"]) == (0, 0, 2)
    assert second["unchanged"] == first["seen"] - 2
    assert snapshot(root) == files_before


def test_seed_is_stored_byte_for_byte_and_shown_with_its_time(tmp_path, cli):
    root = tmp_path / "a"
    cli("init", str(root), check=True)
    out = cli("-C", str(root), "import", str(SEED), check=True).stdout
    assert out.startswith("seen 1: imported 1, revisions 0, unchanged 0, rejected 0")
    stored = list((root / "articles" / "rfi").glob("*.md"))
    assert len(stored) == 1 and stored[0].read_bytes() == SEED.read_bytes()
    shown = cli("-C", str(root), "show", SEED_URL, check=True).stdout
    assert "布林肯呼吁七国集团在加沙问题上以“一个声音”说话" in shown
    assert "2023-11-07 12:15:02 UTC" in shown
    data = json.loads(cli("-C", str(root), "show", SEED_URL, "--json", check=True).stdout)
    assert data["published_utc"] == "2023-11-07 12:15:02" and data["source"] == "rfi"
    # The short id works as well as the URL, and ls shows it.
    assert cli("-C", str(root), "show", data["id"][:6], check=True).stdout == shown
    assert data["id"] in cli("-C", str(root), "ls", check=True).stdout


def test_gb18030_and_big5_records_are_converted_not_rejected(tmp_path, archive):
    simplified = CANONICAL.format(title="七国集团外长会议", slug="gbk", body="法新社东京电稿称，美国国务卿呼吁七国集团以一个声音说话。")
    traditional = CANONICAL.format(title="七國集團外長會議", slug="big5", body="法新社東京電稿稱，美國國務卿呼籲七國集團以一個聲音說話。")
    (tmp_path / "gbk.md").write_bytes(simplified.encode("gb18030"))
    (tmp_path / "big5.md").write_bytes(traditional.encode("big5"))
    report = import_paths(archive, [tmp_path / "gbk.md", tmp_path / "big5.md"]).as_dict()
    assert report["imported"] == 2, report
    stored = {archive.read(a.path).title: (archive.root / a.path).read_text(encoding="utf-8") for a in archive.catalog.list_articles()}
    assert stored == {"七国集团外长会议": simplified, "七國集團外長會議": traditional}


def test_bad_inputs_each_get_a_reason_and_never_stop_the_run(tmp_path, cli):
    src = tmp_path / "in"
    src.mkdir()
    (src / "good.md").write_text(CANONICAL.format(title="好", slug="good", body="正文"), encoding="utf-8")
    (src / "binary.md").write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)) * 4)
    (src / "empty.md").write_bytes(b"")
    (src / "header-only.md").write_text("<!--1699359302000-->\n[标题](https://www.rfi.fr/cn/x)\n------\n\n", encoding="utf-8")
    (src / "garbage.txt").write_text("just some notes\n", encoding="utf-8")
    big_body = "<p>" + "长" * (10 * 1024 * 1024 // 3) + "</p>"  # a 10 MB body on one line
    (src / "huge.md").write_text(CANONICAL.format(title="长文", slug="huge", body=big_body), encoding="utf-8")
    os.mkfifo(src / "pipe.md")  # reading a FIFO would block: it must be refused, not read
    (src / "link.md").symlink_to(src / "does-not-exist.md")  # a link is never followed
    secret = src / "unreadable.md"
    secret.write_text(CANONICAL.format(title="秘", slug="secret", body="x"), encoding="utf-8")
    secret.chmod(0)

    root = tmp_path / "a"
    cli("init", str(root), check=True)
    args = ["-C", str(root), "import", str(src), "--json"]
    if os.geteuid() == 0:
        if not shutil.which("capsh"):
            pytest.skip("running as root without capsh: cannot make a file unreadable")
        # Root reads everything; drop the capability that lets it, as a normal user would run.
        cmd = " ".join(["python3", "-m", "newsvault", *args])
        proc = subprocess.run(
            ["capsh", "--drop=cap_dac_override,cap_dac_read_search", "--", "-c", cmd],
            capture_output=True, text=True, env={**os.environ, "PYTHONPATH": str(Path(__file__).parents[1] / "src")},
        )
    else:
        proc = cli(*args)
    assert proc.returncode == 0, proc.stderr
    assert "Traceback" not in proc.stderr
    report = json.loads(proc.stdout)
    assert accounting_holds(report)
    reasons = {Path(r["path"]).name: r["reason"] for r in report["rejects"]}
    assert reasons == {
        "binary.md": "binary file, not text",
        "empty.md": "empty file",
        "header-only.md": "record header without a body",
        "garbage.txt": reasons["garbage.txt"],
        "pipe.md": "not a regular file",
        "link.md": "symbolic link, not followed",
        "unreadable.md": "permission denied",
    }
    assert reasons["garbage.txt"].startswith("no record header")
    assert report["imported"] == 2  # good.md and the 10 MB record
    archive = Archive.open(root)
    assert sorted(a.title for a in archive.catalog.list_articles()) == ["好", "长文"]
    archive.close()


@pytest.fixture
def small_disk(tmpfs):
    return tmpfs("3m")


def test_full_disk_fails_with_one_message_and_keeps_the_archive_as_it_was(small_disk, corpus, cli):
    root = small_disk / "a"
    cli("init", str(root), check=True)
    cli("-C", str(root), "import", str(SEED), check=True)
    before = snapshot(root)
    proc = cli("-C", str(root), "import", str(corpus))  # ~9 MB into a 3 MB disk
    assert proc.returncode == 1
    assert proc.stderr.startswith("newsvault: error: cannot write to the archive")
    assert "No space left on device" in proc.stderr and "Traceback" not in proc.stderr
    assert len(proc.stderr.strip().splitlines()) == 1
    assert snapshot(root) == before  # no partial record, no temp file, nothing half-written
    # The archive still works and agrees with its files.
    assert json.loads(cli("-C", str(root), "stats", "--json", check=True).stdout)["total"]["records"] == 1


def test_read_only_archive_fails_with_one_message(small_disk, corpus, cli):
    root = small_disk / "a"
    cli("init", str(root), check=True)
    cli("-C", str(root), "import", str(SEED), check=True)
    before = snapshot(root)
    if subprocess.run(["mount", "-o", "remount,ro", str(small_disk)], capture_output=True).returncode != 0:
        pytest.skip("cannot remount read-only here")
    try:
        proc = cli("-C", str(root), "import", str(corpus / "cdt"))
    finally:
        subprocess.run(["mount", "-o", "remount,rw", str(small_disk)], check=False)
    assert proc.returncode == 1
    assert proc.stderr.startswith("newsvault: error: ")
    assert "read-only" in proc.stderr.lower() and "Traceback" not in proc.stderr
    assert len(proc.stderr.strip().splitlines()) == 1
    assert snapshot(root) == before


def test_cli_usage_errors(tmp_path, cli):
    root = tmp_path / "a"
    cli("init", str(root), check=True)
    proc = cli("-C", str(root), "ls", "--since", "yesterday-ish")
    assert proc.returncode == 2 and "is not a date" in proc.stderr
    proc = cli("-C", str(tmp_path / "nowhere"), "ls")
    assert proc.returncode == 1 and "no such directory" in proc.stderr and "Traceback" not in proc.stderr
    proc = cli("-C", str(root), "show", "ffffffffffff")
    assert proc.returncode == 1 and "no article" in proc.stderr
