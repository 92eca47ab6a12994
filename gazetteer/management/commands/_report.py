"""What load_corpus and load_volume print after loading."""

from collections import Counter


def report(command, results, verbosity):
    statuses = Counter(r.status for r in results)
    for r in results:
        if r.not_digitized and verbosity >= 1:
            command.stdout.write(f"{r.volume.slug}: {len(r.not_digitized)} TOC sections not found in the body")
            if verbosity >= 2:
                for path in r.not_digitized:
                    command.stdout.write(f"    {path}")
    summary = ", ".join(f"{statuses[s]} {s}" for s in ("created", "updated", "unchanged") if statuses[s])
    seconds = sum(r.seconds for r in results)
    command.stdout.write(command.style.SUCCESS(f"{len(results)} volume(s): {summary} in {seconds:.1f} s"))
