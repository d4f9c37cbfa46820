"""extract_block.py README NAME: prints the fenced code block that follows the line
`<!-- readme-test: NAME -->` in README, so tests build and run the README's examples exactly as
printed. Exits 1 when there is no such block."""
import sys


def main() -> int:
    readme, name = sys.argv[1], sys.argv[2]
    lines = open(readme, encoding="utf-8").read().splitlines()
    marker = f"<!-- readme-test: {name} -->"
    for i, line in enumerate(lines):
        if line.strip() != marker:
            continue
        start = i + 1
        if start >= len(lines) or not lines[start].startswith("```"):
            break
        end = next((j for j in range(start + 1, len(lines)) if lines[j].startswith("```")), None)
        if end is None:
            break
        print("\n".join(lines[start + 1:end]))
        return 0
    print(f"extract_block: no fenced block after '{marker}' in {readme}", file=sys.stderr)
    return 1


if __name__ == "__main__":
    sys.exit(main())
