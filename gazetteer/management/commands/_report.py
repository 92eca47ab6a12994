"""What load_corpus and load_volume print after loading, or when loading fails."""

from collections import Counter

from django.core.management.base import CommandError

# At -v 1 a volume's first warnings are printed; -v 2 prints them all.
WARNINGS_SHOWN = 10


def report(command, results, verbosity):
    statuses = Counter(r.status for r in results)
    for r in results:
        if r.warnings and verbosity >= 1:
            command.stdout.write(command.style.WARNING(f"{r.volume.slug}: {len(r.warnings)} warning(s)"))
            shown = r.warnings if verbosity >= 2 else r.warnings[:WARNINGS_SHOWN]
            for warning in shown:
                command.stdout.write(f"    {warning}")
            if len(shown) < len(r.warnings):
                command.stdout.write(f"    … and {len(r.warnings) - len(shown)} more (-v 2 shows all)")
        if r.not_digitized and verbosity >= 1:
            command.stdout.write(f"{r.volume.slug}: {len(r.not_digitized)} TOC sections not found in the body")
            if verbosity >= 2:
                for path in r.not_digitized:
                    command.stdout.write(f"    {path}")
    summary = ", ".join(f"{statuses[s]} {s}" for s in ("created", "updated", "unchanged") if statuses[s])
    seconds = sum(r.seconds for r in results)
    command.stdout.write(command.style.SUCCESS(f"{len(results)} volume(s): {summary} in {seconds:.1f} s"))


def command_error(error):
    """Turn what can go wrong during a load into the one-line error a command prints."""
    from gazetteer.corpus import error_message

    return CommandError(error_message(error))
