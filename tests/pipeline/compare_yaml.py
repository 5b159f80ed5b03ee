#!/usr/bin/env python3
"""Compare asn-from-list's YAML (-f yaml) with PyYAML's yaml.dump of the same association.

    ~/.cache/asn-ref/bin/python tests/pipeline/compare_yaml.py target/release/asn-from-list [N]

The reference writes YAML as yaml.dump(association). Our JSON is byte-identical to the
reference's (the conformance cases hold it), so yaml.dump of our JSON, parsed back, is what the
reference would write. N random tricky names (default 3000) go through Stage 3, Stage 2 and the
bare rule, as arguments (so names may hold newlines and bytes that are not UTF-8).
"""
import json, os, random, subprocess, sys, tempfile

import yaml

PIECES = ["a", "Z", "0", "7", " ", "  ", "#", ":", ": ", "-", "- ", "'", '"', "\\", ",", "[",
          "]", "{", "}", "&", "*", "!", "|", ">", "%", "@", "`", "?", "\t", "\n", "é", "日",
          "😀", "\x85", "\u2028", "\ufeff", "\x7f", "\x1b", "true", "null", "~", "yes", "0x1F",
          "1.5", "1e5", ".inf", "2024-01-02", "_cal", ".fits", "---", "...", "=", "<<", "\xa0"]


def tricky(rng):
    if rng.random() < 0.1:
        return " ".join(rng.choice(["ab", "c", "defgh", "i"]) for _ in range(rng.randint(20, 60)))
    text = "".join(rng.choice(PIECES) for _ in range(rng.randint(1, 8)))
    if rng.random() < 0.05:
        text += "x" * rng.randint(70, 100)
    return text


def to_arg(text, rng):
    data = text.encode("utf-8", "surrogatepass")
    if rng.random() < 0.05:
        data += rng.choice([b"\xff", b"\xe2\x82", b"\xed\xa0\x80"])
    return data


def main():
    binary = os.path.abspath(sys.argv[1])
    n = int(sys.argv[2]) if len(sys.argv) > 2 else 3000
    rng = random.Random(int(os.environ.get("SEED", "7")))
    names = []
    while len(names) < n:
        arg = to_arg(tricky(rng), rng)
        if b"\0" not in arg and not arg.startswith(b"-"):
            names.append(arg)
    failed = checked = 0
    with tempfile.TemporaryDirectory() as tmp:
        for start in range(0, n, 100):
            batch = names[start:start + 100]
            product = to_arg(tricky(rng), rng)
            for rule in ([b"--product-name=" + product], ["-r", "DMSLevel2bBase"], ["-r", "Association"]):
                args = [binary, "--no-glob", "-o", "-"] + rule + ["--"] + batch
                got_json = subprocess.run(args, capture_output=True, cwd=tmp)
                got_yaml = subprocess.run(args[:2] + ["-f", "yaml"] + args[2:], capture_output=True, cwd=tmp)
                checked += 1
                if got_json.returncode != 0 or got_yaml.returncode != 0:
                    failed += 1
                    print("run failed:", got_json.stderr[-300:], got_yaml.stderr[-300:])
                    continue
                data = json.loads(got_json.stdout.decode("ascii"))
                want = yaml.dump(data)
                have = got_yaml.stdout.decode("utf-8", "surrogateescape")
                if have != want:
                    failed += 1
                    for i, (a, b) in enumerate(zip(want.splitlines(), have.splitlines())):
                        if a != b:
                            print(f"{rule}: line {i + 1}\n  yaml.dump: {a!r}\n  ours:      {b!r}")
                            break
                    else:
                        print(f"{rule}: lengths differ: {len(want)} vs {len(have)}")
    print(f"{checked - failed} passed, {failed} failed")
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
