"""The re-load guard's options and report, shared by load_corpus and load_volume."""


def add_edit_options(parser):
    group = parser.add_mutually_exclusive_group()
    group.add_argument(
        "--keep-edits",
        action="store_true",
        help="when editors changed a volume being re-loaded, re-apply their versions over the new load",
    )
    group.add_argument(
        "--discard-edits",
        action="store_true",
        help="when editors changed a volume being re-loaded, replace their versions with the new load",
    )


def edits_mode(options):
    return "keep" if options["keep_edits"] else "discard" if options["discard_edits"] else "refuse"


def report_edits(command, results):
    for result in results:
        if not result.edits:
            continue
        mode, lines = result.edits
        verb = "kept (re-applied over the new load)" if mode == "keep" else "discarded (replaced by the new load)"
        command.stdout.write(command.style.WARNING(f"{result.volume.slug}: editors' changes {verb}: {len(lines)}"))
        for line in lines:
            command.stdout.write(f"    {line}")
