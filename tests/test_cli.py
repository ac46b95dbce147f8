import json
import subprocess
import sys
from pathlib import Path

EXAMPLE = Path(__file__).parent.parent / "examples" / "spun.txt"


def unspin(*args, stdin=b""):
    return subprocess.run([sys.executable, "-m", "unspin.cli", *args], input=stdin, capture_output=True)


def test_restore_prints_text_identical_outside_spans(tmp_path):
    src = EXAMPLE.read_text()
    out = unspin("restore", str(EXAMPLE))
    assert out.returncode == 0, out.stderr
    spans = json.loads(unspin("restore", "--format", "json", str(EXAMPLE)).stdout)["spans"]
    restored, pos = [], 0
    for s in spans:
        assert src[s["start"] : s["end"]] == s["observed"]
        restored += [src[pos : s["start"]], s["suggestion"]]
        pos = s["end"]
    restored.append(src[pos:])
    assert out.stdout.decode() == "".join(restored)


def test_diff_format_marks_edits():
    spans = json.loads(unspin("restore", "--format", "json", str(EXAMPLE)).stdout)["spans"]
    out = unspin("restore", "--format", "diff", "--color", "never", str(EXAMPLE)).stdout.decode()
    assert spans
    for s in spans:
        assert f"[-{s['observed']}-]{{+{s['suggestion']}+}}" in out


def test_empty_input_prints_nothing():
    for cmd in ("restore", "spin"):
        out = unspin(cmd, "-")
        assert out.returncode == 0 and out.stdout == b""


def test_binary_and_non_utf8_files_get_one_line_error(tmp_path):
    binary = tmp_path / "x.bin"
    binary.write_bytes(b"\x7fELF\x02\x01\x00\x00" + bytes(range(256)))
    latin = tmp_path / "latin.txt"
    latin.write_bytes("Le café est fermé.".encode("latin-1"))
    for cmd in ("restore", "spin"):
        for f in (binary, latin):
            out = unspin(cmd, str(f))
            assert out.returncode == 2
            assert out.stdout == b""
            assert len(out.stderr.decode().strip().splitlines()) == 1
    assert unspin("restore", "--encoding", "latin-1", str(latin)).stdout.decode() == "Le café est fermé."


def test_missing_file():
    out = unspin("restore", "/nonexistent/file.txt")
    assert out.returncode == 2 and b"no such file" in out.stderr


def test_bench_names_an_unknown_spinner_style():
    out = unspin("bench", "--suites", "own", "--styles", "mixed,nonsense")
    assert out.returncode == 2 and b"no such spinner style: nonsense" in out.stderr


def test_spin_jsonl_records(tmp_path):
    out = unspin(
        "spin", "--format", "jsonl", "--seed", "4", "-", stdin=b"The old house was sold.\nA new car.\n"
    )
    records = [json.loads(line) for line in out.stdout.decode().splitlines()]
    assert [r["original"] for r in records] == ["The old house was sold.", "A new car."]
    for r in records:
        for e in r["edits"]:
            assert r["spun"][e["spun_start"] : e["spun_end"]] == e["substitute"]


def test_long_line_does_not_hang(tmp_path):
    f = tmp_path / "long.txt"
    f.write_text("the house was bought " * 20_000)
    out = unspin("restore", str(f))
    assert out.returncode == 0 and len(out.stdout) > 0


def test_bom_and_crlf_survive_byte_for_byte(tmp_path):
    f = tmp_path / "bom.txt"
    data = "\ufeffThe mayor said so.\r\n\r\nA second paragraph.\r\n".encode()
    f.write_bytes(data)
    assert unspin("restore", str(f)).stdout == data


def test_cli_and_library_agree():
    from unspin import restore

    assert unspin("restore", str(EXAMPLE)).stdout.decode() == restore(EXAMPLE.read_text()).text
