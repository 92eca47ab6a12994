"""The volume admin's loading pages: the import page, each volume's load report, source lines.

The import page asks for the editor's files and details and calls ``importing``; the
load report shows what the last load of a volume stored in ``Volume.load_report``.
``VolumeLoadingMixin`` adds them to the volume admin.
"""

from __future__ import annotations

import re

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import DatabaseError
from django.http import JsonResponse
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html

from loaders import AUTO, KINDS
from loaders.document import LoaderError

from . import corpus, editing, importing
from .dates import EntryDate
from .models import DatePrecision, Entry, SourceFile, Volume
from .store import VolumeMeta

IMPORT_PERMISSION = "gazetteer.import_volume"
SOURCE_CONTEXT = 8  # lines shown above and below a warning's line


def kind_label(kind):
    return dict(Volume.Kind.choices).get(kind, kind)


def kind_choices():
    return [(AUTO, "自动识别"), *((k, f"{kind_label(k)}（{k}）") for k in sorted(KINDS))]


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    def __init__(self, *args, **kwargs):
        # An empty file is the loaders' to refuse, with the command's message.
        kwargs.setdefault("allow_empty_file", True)
        kwargs.setdefault("widget", MultipleFileInput(attrs={"accept": ".txt,.md,.text,text/plain,text/markdown"}))
        super().__init__(*args, **kwargs)

    def clean(self, data, initial=None):
        single = super().clean
        if isinstance(data, list | tuple):
            return [single(d, initial) for d in data]
        return [single(data, initial)] if data else []


class ImportForm(forms.Form):
    files = MultipleFileField(
        label="源文件", required=False, help_text="可选多个文件，按阅读顺序排列；UTF-8、GB18030/GBK、UTF-16 编码均可"
    )
    title = forms.CharField(label="书名", max_length=200, help_text="如：东明县志、兰溪年鉴（2020）")
    region = forms.CharField(label="地区", max_length=100, required=False, help_text="如：山东省东明县")
    year_covered = forms.IntegerField(
        label="记述年度", min_value=1, max_value=9999, required=False, help_text="大事记未写明年份时，按此年份计"
    )
    year = forms.IntegerField(label="出版年", min_value=1, max_value=9999, required=False)
    kind = forms.ChoiceField(label="类型", choices=kind_choices, initial=AUTO)
    lunar_eras = forms.CharField(
        label="农历纪月的纪元", max_length=100, required=False,
        help_text="大事记中这些纪元的月、日为农历，按原书照录；多个以空格或顿号分隔，如：民国",
    )
    slug = forms.CharField(
        label="标识", max_length=100, required=False, help_text="用于网址；留空则由书名的拼音和年份生成"
    )

    def clean_slug(self):
        slug = self.cleaned_data["slug"].strip()
        if slug and not corpus.SLUG.match(slug):
            raise ValidationError("只能用小写字母、数字和连字符，且以字母或数字开头")
        return slug

    def meta(self) -> VolumeMeta:
        data = self.cleaned_data
        year_covered = data["year_covered"] or data["year"]
        slug = data["slug"] or corpus.slug_for(data["title"], data["year"] or year_covered)
        return VolumeMeta(
            slug=slug,
            title=data["title"],
            kind=data["kind"],
            region=data["region"],
            year=data["year"],
            year_covered=year_covered,
            lunar_eras=tuple(re.split(r"[\s、，,]+", data["lunar_eras"].strip())) if data["lunar_eras"].strip() else (),
        )


def _date(entry):
    """A parsed entry's date for the preview table: the label and the precision's name."""
    when = EntryDate.of(entry)
    if when is None:
        return "", ""
    return when.text, DatePrecision(when.precision).label if when.precision in DatePrecision.values else when.precision


def _counts(report):
    """Rows (label, number) of a stored load report's counts, entries by kind first."""
    counts = report.get("counts", {})
    kinds = dict(Entry.Kind.choices)
    # Sorted by key: PostgreSQL's jsonb keeps keys in its own order, not the load's.
    rows = [(f"{kinds[k.split('.', 1)[1]]}条目", n) for k, n in sorted(counts.items()) if k.split(".", 1)[-1] in kinds]
    labels = {
        "entries": "条目合计",
        # A re-load: how many entries kept their ids (and URLs), changed, or went.
        "entries.kept_ids": "沿用原编号的条目",
        "entries.updated": "内容有更新的条目",
        "entries.removed": "已移除的条目",
        "sections": "目录节点",
        "people": "新增人物",
        "organisations": "新增机构",
        "appointments": "任职",
        "captions": "图片说明",
        "bylines": "署名",
    }
    if report.get("status") != "updated":
        # A first load kept and removed nothing: those rows would only say 0.
        labels = {k: v for k, v in labels.items() if k not in ("entries.kept_ids", "entries.updated", "entries.removed")}
    rows += [(label, counts[key]) for key, label in labels.items() if key in counts]
    return rows


class VolumeLoadingMixin:
    """Adds to the volume admin: the import page, a load report per volume and its source lines."""

    change_form_template = "admin/gazetteer/volume/change_form.html"
    change_list_template = "admin/gazetteer/volume/change_list.html"

    def get_urls(self):
        view = self.admin_site.admin_view
        return [
            path("import/", view(self.import_view), name="gazetteer_volume_import"),
            path("import/upload/", view(self.upload_view), name="gazetteer_volume_import_upload"),
            path("<int:pk>/load-report/", view(self.load_report_view), name="gazetteer_volume_load_report"),
            path("<int:pk>/source/<int:position>/", view(self.source_view), name="gazetteer_volume_source"),
            *super().get_urls(),
        ]

    @admin.display(description="载入报告")
    def load_report_link(self, volume):
        warnings = len((volume.load_report or {}).get("warnings", []))
        label = f"{warnings} 条警告" if warnings else "查看"
        return format_html('<a href="{}">{}</a>', reverse("admin:gazetteer_volume_load_report", args=[volume.pk]), label)

    def changelist_view(self, request, extra_context=None):
        extra_context = {**(extra_context or {}), "can_import": request.user.has_perm(IMPORT_PERMISSION)}
        return super().changelist_view(request, extra_context)

    def _context(self, request, title, **context):
        return {**self.admin_site.each_context(request), "opts": self.model._meta, "title": title, **context}

    # -- the load report --

    def _viewable(self, request, pk):
        volume = get_object_or_404(Volume, pk=pk)
        if not self.has_view_permission(request, volume):
            raise PermissionDenied
        return volume

    def load_report_view(self, request, pk):
        volume = self._viewable(request, pk)
        report = volume.load_report or {}
        files = dict(SourceFile.objects.filter(volume=volume).values_list("name", "position"))
        warnings = []
        for w in report.get("warnings", []):
            url = None
            if w.get("file") in files and w.get("line"):
                url = reverse("admin:gazetteer_volume_source", args=[volume.pk, files[w["file"]]]) + f"?line={w['line']}#L{w['line']}"
            warnings.append({**w, "url": url})
        return TemplateResponse(
            request,
            "admin/gazetteer/volume/load_report.html",
            self._context(
                request,
                f"载入报告：{volume.title}",
                volume=volume,
                report=report,
                kind=kind_label(report.get("kind") or volume.kind),
                counts=_counts(report),
                warnings=warnings,
                uploads=importing.uploads_dir(),
            ),
        )

    def source_view(self, request, pk, position):
        volume = self._viewable(request, pk)
        source = get_object_or_404(SourceFile, volume=volume, position=position)
        try:
            line = max(int(request.GET.get("line", "1")), 1)
        except ValueError:
            line = 1
        lines = source.lines(line - SOURCE_CONTEXT, line + SOURCE_CONTEXT)
        return TemplateResponse(
            request,
            "admin/gazetteer/volume/source.html",
            self._context(request, f"{source.name} 第{line}行", volume=volume, source=source, line=line, lines=lines),
        )

    # -- the import page --

    def _may_import(self, request):
        if not request.user.has_perm(IMPORT_PERMISSION):
            raise PermissionDenied

    def upload_view(self, request):
        """Keep the files an upload with a progress bar sends first (static/js/admin-import.js)."""
        self._may_import(request)
        if request.method != "POST":
            return JsonResponse({"error": "只接受 POST"}, status=405)
        try:
            kept = [importing.keep(f.name, f.chunks()) for f in request.FILES.getlist("files")]
        except LoaderError as e:
            return JsonResponse({"error": corpus.error_message(e)}, status=400, json_dumps_params={"ensure_ascii": False})
        if not kept:
            return JsonResponse({"error": "请选择要上传的文件"}, status=400, json_dumps_params={"ensure_ascii": False})
        return JsonResponse(
            {"files": [{"token": f.token, "name": f.name, "size": f.size} for f in kept]},
            json_dumps_params={"ensure_ascii": False},
        )

    def import_view(self, request):
        self._may_import(request)
        if request.method != "POST":
            return self._import_page(request, ImportForm())
        form = ImportForm(request.POST, request.FILES)
        if not form.is_valid():
            return self._import_page(request, form, tokens=request.POST.getlist("kept"))
        files = []
        try:
            if form.cleaned_data["files"]:
                files = [importing.keep(f.name, f.chunks()) for f in form.cleaned_data["files"]]
            else:
                files = [importing.kept_file(t) for t in request.POST.getlist("kept")]
            if not files:
                return self._import_page(request, form, error="请选择要上传的文件。")
            meta = form.meta()
            notice = None
            if "confirm" in request.POST:  # the preview's 确认载入 button
                edits = request.POST.get("edits") if request.POST.get("edits") in ("keep", "discard") else "refuse"
                try:
                    result = importing.confirm(meta, files, request.POST.get("fingerprint", ""), edits=edits)
                except importing.PreviewOutdated as e:
                    notice = str(e)
                except editing.EditConflict:
                    notice = "编辑人员在预览之后又修改了本卷，请在下方选择保留还是放弃这些修改，再确认。"
                else:
                    return self._imported(request, result)
            pv = importing.preview(meta, files)
        except (LoaderError, DatabaseError, OSError) as e:
            return self._import_page(request, form, error=corpus.error_message(e), tokens=[f.token for f in files])
        return self._preview_page(request, form, pv, notice)

    def _imported(self, request, result):
        volume = result.volume
        if result.status == "unchanged":
            self.message_user(request, f"《{volume.title}》的文件和信息与上次载入相同，未作改动。", messages.INFO)
        else:
            verb = "已载入" if result.status == "created" else "已重新载入"
            kept = ""
            if result.edits:
                mode, lines = result.edits
                kept = f"；编辑修改 {len(lines)} 处已{'保留' if mode == 'keep' else '放弃'}"
            self.message_user(
                request,
                f"{verb}《{volume.title}》：{result.counts['entries']} 个条目，{len(result.warnings)} 条警告{kept}。",
                messages.SUCCESS,
            )
        return redirect("admin:gazetteer_volume_load_report", volume.pk)

    def _import_page(self, request, form, error=None, tokens=()):
        kept = []
        for token in tokens:
            try:
                kept.append(importing.kept_file(token))
            except LoaderError:
                continue
        return TemplateResponse(
            request,
            "admin/gazetteer/import.html",
            self._context(request, "导入文本", form=form, error=error, kept=kept),
            status=400 if error or form.errors else 200,
        )

    def _preview_page(self, request, form, pv, notice=None):
        meta = pv.meta
        # The form again, filled with what the preview used (the slug made from the title too).
        again = ImportForm(
            initial={
                "title": meta.title,
                "region": meta.region,
                "year_covered": meta.year_covered,
                "year": meta.year,
                "kind": meta.kind,
                "lunar_eras": "、".join(meta.lunar_eras),
                "slug": meta.slug,
            }
        )
        first = [
            (f"{dict(Entry.Kind.choices).get(kind, kind)}", pv.counts[kind], [(e, *_date(e)) for e in entries])
            for kind, entries in pv.first.items()
        ]
        return TemplateResponse(
            request,
            "admin/gazetteer/import_preview.html",
            self._context(
                request,
                f"导入预览：{meta.title}",
                form=again,
                pv=pv,
                kind=kind_label(pv.document.kind),
                first=first,
                total=sum(pv.counts.values()),
                notice=notice,
            ),
        )

