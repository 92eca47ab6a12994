import datetime

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models
from django.urls import reverse
from django.utils import timezone
from simple_history.models import HistoricalRecords

from .pinyin import sort_key as pinyin_sort_key


class UnicodeJSONEncoder(DjangoJSONEncoder):
    """Store Chinese as itself, not as \\uXXXX escapes, so lookups like aliases__contains work."""

    def __init__(self, *args, **kwargs):
        kwargs["ensure_ascii"] = False
        super().__init__(*args, **kwargs)


class Volume(models.Model):
    """One publication: a yearbook year, a collection of speeches, a plan, a newspaper page."""

    class Kind(models.TextChoices):
        YEARBOOK = "yearbook", "年鉴"
        SPEECHES = "speeches", "讲话汇编"
        PLAN = "plan", "规划纲要"
        NEWSPAPER = "newspaper", "报纸"
        GAZETTEER = "gazetteer", "地方志"
        CHRONICLE = "chronicle", "大事记"
        TEXT = "text", "文献"

    slug = models.SlugField("标识", max_length=100, unique=True)
    title = models.CharField("书名", max_length=200)
    kind = models.CharField("类型", max_length=20, choices=Kind.choices)
    region = models.CharField("地区", max_length=100, blank=True)
    compiler = models.CharField("编纂者", max_length=200, blank=True)
    year = models.PositiveSmallIntegerField("出版年", null=True, blank=True)
    year_covered = models.PositiveSmallIntegerField("记述年度", null=True, blank=True)
    date = models.DateField("出版日期", null=True, blank=True)
    lunar_eras = models.JSONField(
        "农历纪月的纪元", default=list, blank=True, encoder=UnicodeJSONEncoder,
        help_text="大事记中这些纪元（如：民国）的月、日为农历，按原书照录",
    )
    source_hash = models.CharField("源文件校验值", max_length=64, editable=False)
    # Set by each load that replaces the volume's rows (not by editors' saves): the
    # re-load guard counts editors' changes made after it.
    loaded_at = models.DateTimeField("载入时间", default=timezone.now, editable=False)

    history = HistoricalRecords(verbose_name="卷册历史", verbose_name_plural="卷册历史")

    class Meta:
        verbose_name = verbose_name_plural = "卷册"
        ordering = ["-year", "slug"]
        # Editors with it upload texts through the admin's import page (gazetteer/importing.py).
        permissions = [("import_volume", "可导入文本")]

    def __str__(self):
        return self.title

    def get_absolute_url(self):
        return reverse("volume", args=[self.slug])

    @property
    def load_report(self) -> dict:
        """What the last load found (``LoadReport``), or {} for a volume never loaded."""
        try:
            return self.report.data
        except LoadReport.DoesNotExist:
            return {}


class LoadReport(models.Model):
    """What the last load of a volume found: counts, the kind detected and why, TOC
    sections not found in the body, and every warning as {"file", "line", "message"}.

    Read by the admin's load report only. A table of its own, not a column of Volume:
    every page that lists entries joins their volume, and a report of kilobytes per
    volume carried through those joins made the 大事记 page's query 6× slower.
    """

    volume = models.OneToOneField(Volume, models.CASCADE, primary_key=True, related_name="report", verbose_name="卷册")
    data = models.JSONField("载入报告", default=dict, blank=True, encoder=UnicodeJSONEncoder)

    class Meta:
        verbose_name = verbose_name_plural = "载入报告"

    def __str__(self):
        return f"{self.volume_id} 载入报告"


class SourceFile(models.Model):
    """A source text as loaded, kept so entries can be checked against their lines."""

    volume = models.ForeignKey(Volume, models.CASCADE, related_name="files", verbose_name="卷册")
    position = models.PositiveSmallIntegerField("顺序")
    name = models.CharField("文件名", max_length=200)
    sha256 = models.CharField("SHA-256", max_length=64)
    encoding = models.CharField("编码", max_length=20)
    text = models.TextField("全文")

    class Meta:
        verbose_name = verbose_name_plural = "源文件"
        ordering = ["volume", "position"]
        constraints = [
            models.UniqueConstraint(fields=["volume", "position"], name="unique_file_position"),
        ]

    def __str__(self):
        return self.name

    def lines(self, first, last):
        """Return [(number, text)] for lines first..last (1-based, inclusive)."""
        all_lines = self.text.split("\n")
        first = max(first, 1)
        return [(n, all_lines[n - 1]) for n in range(first, min(last, len(all_lines)) + 1)]


class Section(models.Model):
    """A node of the table of contents: 类目 (level 1), 分目 (level 2), or deeper."""

    volume = models.ForeignKey(Volume, models.CASCADE, related_name="sections", verbose_name="卷册")
    parent = models.ForeignKey(
        "self", models.CASCADE, null=True, blank=True, related_name="children", verbose_name="上级"
    )
    position = models.PositiveIntegerField("书序", help_text="在本卷中的先后次序")
    level = models.PositiveSmallIntegerField("层级")
    title = models.CharField("标题", max_length=200)
    page = models.PositiveIntegerField("页码", null=True, blank=True)
    digitized = models.BooleanField("已数字化", default=True)
    # The titles from the 类目 down, as loaded: identifies the section across a re-load
    # even after an editor renamed or moved it.
    source_path = models.CharField("载入时路径", max_length=1000, blank=True, editable=False)
    alt_titles = models.JSONField(
        "异写标题", default=list, blank=True, encoder=UnicodeJSONEncoder, help_text="如目录与正文写法不同"
    )

    history = HistoricalRecords(verbose_name="目录节点历史", verbose_name_plural="目录节点历史")

    class Meta:
        verbose_name = verbose_name_plural = "目录节点"
        ordering = ["volume", "position"]
        constraints = [
            models.UniqueConstraint(fields=["volume", "position"], name="unique_section_position"),
        ]

    def __str__(self):
        return self.title

    def get_absolute_url(self):
        return reverse("section", args=[self.volume.slug, self.pk])

    def ancestors(self):
        """Return the sections above this one, outermost first."""
        chain, node = [], self.parent
        while node is not None:
            chain.append(node)
            node = node.parent
        return chain[::-1]

    def path(self):
        return [*self.ancestors(), self]


class EntryQuerySet(models.QuerySet):
    def in_volume(self, volume):
        return self.filter(volume=volume)

    def chronicle(self):
        return self.filter(kind=Entry.Kind.CHRONICLE)

    def speeches(self):
        return self.filter(kind=Entry.Kind.SPEECH)

    def book_order(self):
        return self.order_by("volume", "position")


class DatePrecision(models.TextChoices):
    DAY = "day", "日"
    XUN = "xun", "旬"
    MONTH = "month", "月"
    SEASON = "season", "季"
    YEAR = "year", "年"


class Entry(models.Model):
    """The unit of reading and search: a 条目, a speech, a 大事记 day item, an article."""

    class Kind(models.TextChoices):
        ENTRY = "entry", "条目"
        SPEECH = "speech", "讲话"
        CHRONICLE = "chronicle", "大事记"
        ARTICLE = "article", "文章"
        CHAPTER = "chapter", "章节"
        TEXT = "text", "文本"

    volume = models.ForeignKey(Volume, models.CASCADE, related_name="entries", verbose_name="卷册")
    section = models.ForeignKey(Section, models.CASCADE, related_name="entries", verbose_name="所属目录")
    position = models.PositiveIntegerField("书序", help_text="在本卷中的先后次序")
    kind = models.CharField("类型", max_length=20, choices=Kind.choices, default=Kind.ENTRY)
    title = models.CharField("标题", max_length=300)
    untitled = models.BooleanField("原题缺失", default=False)
    kicker = models.CharField("引题", max_length=300, blank=True, help_text="报纸标题上方的引题")
    subtitle = models.CharField("副题", max_length=300, blank=True)
    text = models.TextField("正文", blank=True, help_text="段落之间以换行分隔")
    page = models.PositiveIntegerField("页码", null=True, blank=True)
    date = models.DateField("日期", null=True, blank=True)
    date_end = models.DateField("截止日期", null=True, blank=True)
    # The Gregorian year also where ``date`` cannot hold it: 公元前651年 is -651 (no year 0).
    # The timeline orders and groups the 大事记 by it.
    year = models.SmallIntegerField("公历年份", null=True, blank=True, db_index=True, help_text="公元前为负数")
    date_precision = models.CharField("日期精度", max_length=10, choices=DatePrecision.choices, blank=True)
    date_printed = models.CharField("原书纪年", max_length=100, blank=True, help_text="如：民国27年（1938年）3月")
    lunar = models.BooleanField("农历", default=False, help_text="月、日为农历，按原书照录")
    speaker = models.CharField("讲话人", max_length=50, blank=True)
    speaker_title = models.CharField("讲话人职务", max_length=100, blank=True)
    speaker_person = models.ForeignKey(
        "Person", models.SET_NULL, null=True, blank=True, related_name="speeches", verbose_name="讲话人（人物）"
    )
    source_tag = models.CharField("稿源", max_length=50, blank=True)
    tables = models.JSONField("表格", default=list, blank=True, encoder=UnicodeJSONEncoder)
    source_file = models.CharField("源文件", max_length=200)
    line_start = models.PositiveIntegerField("起始行")
    line_end = models.PositiveIntegerField("结束行")
    source_file_end = models.CharField(
        "结束行所在文件", max_length=200, blank=True, help_text="条目跨两个源文件时，结束行所在的文件"
    )
    notes = models.JSONField("注释", default=list, blank=True, encoder=UnicodeJSONEncoder, help_text="脚注、整理说明等")
    alt_titles = models.JSONField(
        "异写标题", default=list, blank=True, encoder=UnicodeJSONEncoder, help_text="如目录与正文写法不同"
    )
    # Where the last load put the entry (its section's source_path) and the title it
    # printed: a re-load recognises the entry by these even after an editor renamed or
    # moved it, so its id and URL last (see store.match_entries).
    source_section = models.CharField("载入时目录路径", max_length=1000, blank=True, editable=False)
    source_title = models.CharField("载入时标题", max_length=300, blank=True, editable=False)
    # Set when an editor changed the mentioned people/organisations by hand: the
    # automatic linking after a load then leaves this entry's mentions as they are.
    mentions_edited = models.BooleanField("提及经编辑修改", default=False, editable=False)
    authors = models.ManyToManyField(
        "Person", through="Byline", related_name="authored", blank=True, verbose_name="作者"
    )
    people = models.ManyToManyField("Person", related_name="mentioned_in", blank=True, verbose_name="提及人物")
    organisations = models.ManyToManyField(
        "Organisation", related_name="mentioned_in", blank=True, verbose_name="提及机构"
    )

    objects = EntryQuerySet.as_manager()
    history = HistoricalRecords(
        verbose_name="条目历史", verbose_name_plural="条目历史", m2m_fields=["people", "organisations"]
    )

    class Meta:
        verbose_name = verbose_name_plural = "条目"
        ordering = ["volume", "position"]
        constraints = [
            models.UniqueConstraint(fields=["volume", "position"], name="unique_entry_position"),
        ]
        indexes = [
            models.Index(fields=["kind", "date"]),
            # The search page's list of speakers (SELECT DISTINCT speaker of the speeches).
            models.Index(fields=["kind", "speaker"], name="entry_kind_speaker"),
            # The 大事记 page: its year counts and its order (year, then date).
            models.Index(fields=["kind", "year", "date"], name="entry_kind_year_date"),
            # Which volumes have entries of a kind (the 大事记 page's volume list).
            models.Index(fields=["volume", "kind"], name="entry_volume_kind"),
        ]

    def __str__(self):
        return self.title

    def save(self, *args, **kwargs):
        # The year follows the date an editor sets; only an entry without a date (before
        # the common era) keeps a year of its own. Loads set both (bulk, without save).
        if self.date:
            date = datetime.date.fromisoformat(self.date) if isinstance(self.date, str) else self.date
            self.year = date.year
        super().save(*args, **kwargs)

    def get_absolute_url(self):
        return reverse("entry", args=[self.pk])

    @property
    def paragraphs(self):
        return [p for p in self.text.split("\n") if p]


def _keep_sort_key(obj, save_kwargs) -> None:
    """Set a person's or organisation's ``sort_key`` from its name before it is saved."""
    obj.sort_key = pinyin_sort_key(obj.name)
    fields = save_kwargs.get("update_fields")
    if fields is not None and "name" in fields and "sort_key" not in fields:
        save_kwargs["update_fields"] = [*fields, "sort_key"]


class Person(models.Model):
    """One real person. Variant spellings (李朝锋/李朝峰) are aliases, merged by editors."""

    name = models.CharField("姓名", max_length=50)
    # People are told apart by name within a region only: 张晓丽 of 魏都区 and 张晓丽
    # of 长葛市 are two people until an editor says otherwise.
    region = models.CharField("地区", max_length=100, blank=True)
    aliases = models.JSONField("别名", default=list, blank=True, encoder=UnicodeJSONEncoder)
    notes = models.JSONField("附注", default=list, blank=True, encoder=UnicodeJSONEncoder, help_text="如：女、回")
    # The name as the source prints it: loads find the person by it, so an editor's
    # rename (刘庆 → 刘庆华) does not make the next load create 刘庆 again.
    loaded_name = models.CharField("载入时姓名", max_length=50, blank=True, editable=False)
    # The organisations (as printed) of the leadership lists that named this person:
    # the evidence a load uses to tell two people of one name apart (gazetteer/identity.py).
    context = models.JSONField("任职机构依据", default=list, blank=True, editable=False, encoder=UnicodeJSONEncoder)

    # The pinyin order of the name (gazetteer/pinyin.py), kept by save(): /people/ pages
    # through the index of it instead of sorting every name.
    sort_key = models.CharField(max_length=2000, blank=True, editable=False)

    history = HistoricalRecords(verbose_name="人物历史", verbose_name_plural="人物历史")

    class Meta:
        verbose_name = verbose_name_plural = "人物"
        ordering = ["name", "region", "pk"]
        # No unique (name, region): two people of one region may share a name (张磊).
        indexes = [
            models.Index(fields=["region", "loaded_name"]),
            models.Index(fields=["name", "region", "id"], name="person_name"),
            models.Index(fields=["sort_key", "id"], name="person_sort_key"),
            # The few people with aliases, for the search page's alias lookup (a scan
            # of every person otherwise).
            models.Index(fields=["id"], name="person_aliased", condition=~models.Q(aliases=[])),
        ]

    def __str__(self):
        return self.name

    def save(self, *args, **kwargs):
        _keep_sort_key(self, kwargs)
        super().save(*args, **kwargs)

    def get_absolute_url(self):
        return reverse("person", args=[self.pk])


class Organisation(models.Model):
    name = models.CharField("名称", max_length=100)
    region = models.CharField("地区", max_length=100, blank=True)
    aliases = models.JSONField("别名", default=list, blank=True, encoder=UnicodeJSONEncoder)
    loaded_name = models.CharField("载入时名称", max_length=100, blank=True, editable=False)

    sort_key = models.CharField(max_length=2000, blank=True, editable=False)  # as Person.sort_key

    history = HistoricalRecords(verbose_name="机构历史", verbose_name_plural="机构历史")

    class Meta:
        verbose_name = verbose_name_plural = "机构"
        ordering = ["name", "region"]
        constraints = [models.UniqueConstraint(fields=["name", "region"], name="unique_organisation_name")]
        indexes = [
            models.Index(fields=["sort_key", "id"], name="organisation_sort_key"),
            models.Index(fields=["id"], name="organisation_aliased", condition=~models.Q(aliases=[])),
        ]

    def __str__(self):
        return self.name

    def save(self, *args, **kwargs):
        _keep_sort_key(self, kwargs)
        super().save(*args, **kwargs)

    def get_absolute_url(self):
        return reverse("organisation", args=[self.pk])


class Appointment(models.Model):
    """A person listed under a title in an organisation's leadership list of one volume."""

    person = models.ForeignKey(Person, models.CASCADE, related_name="appointments", verbose_name="人物")
    organisation = models.ForeignKey(
        Organisation, models.CASCADE, related_name="appointments", verbose_name="机构"
    )
    volume = models.ForeignKey(Volume, models.CASCADE, related_name="appointments", verbose_name="卷册")
    position = models.PositiveIntegerField("顺序")
    title = models.CharField("职务", max_length=100)
    note = models.CharField("任免附注", max_length=50, blank=True, help_text="如：12月任、12月离")
    start_month = models.PositiveSmallIntegerField("到任月份", null=True, blank=True)
    end_month = models.PositiveSmallIntegerField("离任月份", null=True, blank=True)
    source_file = models.CharField("源文件", max_length=200, blank=True)
    line = models.PositiveIntegerField("行号", null=True, blank=True)

    history = HistoricalRecords(verbose_name="任职历史", verbose_name_plural="任职历史")

    class Meta:
        verbose_name = verbose_name_plural = "任职"
        ordering = ["volume", "position"]
        constraints = [
            models.UniqueConstraint(fields=["volume", "position"], name="unique_appointment_position"),
        ]

    def __str__(self):
        return f"{self.organisation} {self.title} {self.person}"


class Byline(models.Model):
    """An author of an entry, from the names closing a 分目 or a newspaper byline."""

    entry = models.ForeignKey(Entry, models.CASCADE, related_name="bylines", verbose_name="条目")
    person = models.ForeignKey(Person, models.CASCADE, related_name="bylines", verbose_name="作者")
    position = models.PositiveSmallIntegerField("署名顺序", default=0)

    history = HistoricalRecords(verbose_name="署名历史", verbose_name_plural="署名历史")

    class Meta:
        verbose_name = verbose_name_plural = "署名"
        ordering = ["entry", "position"]
        constraints = [
            models.UniqueConstraint(fields=["entry", "person"], name="unique_byline"),
        ]

    def __str__(self):
        return f"{self.person}（{self.entry}）"


class Caption(models.Model):
    """A photo caption, taken out of the entry text it interrupted, with its credit."""

    entry = models.ForeignKey(Entry, models.CASCADE, related_name="captions", verbose_name="条目")
    position = models.PositiveSmallIntegerField("顺序", default=0)
    text = models.TextField("图片说明")
    credit = models.CharField("署名", max_length=100, blank=True, help_text="摄影者或供图单位")
    credit_person = models.ForeignKey(
        Person, models.SET_NULL, null=True, blank=True, related_name="photos", verbose_name="摄影者"
    )
    line = models.PositiveIntegerField("行号", null=True, blank=True)

    history = HistoricalRecords(verbose_name="图片说明历史", verbose_name_plural="图片说明历史")

    class Meta:
        verbose_name = verbose_name_plural = "图片说明"
        ordering = ["entry", "position"]

    def __str__(self):
        return self.text[:40]


class ReviewDecision(models.Model):
    """An editor's answer to a proposal of the review queue (gazetteer/identity.py).

    Keyed by the names and region, not by ids: the answer still applies after a
    re-load, a merge or a split changed which records carry those names.
    """

    class Kind(models.TextChoices):
        HOMONYM = "homonym", "同名异人"
        VARIANT = "variant", "异写"

    class Action(models.TextChoices):
        MERGE = "merge", "合并"
        ALIAS = "alias", "加为别名"
        SPLIT = "split", "分立"
        DISMISS = "dismiss", "驳回"

    key = models.CharField("键", max_length=300, unique=True)
    kind = models.CharField("类型", max_length=20, choices=Kind.choices)
    region = models.CharField("地区", max_length=100, blank=True)
    names = models.JSONField("姓名", default=list, encoder=UnicodeJSONEncoder)
    action = models.CharField("处理", max_length=20, choices=Action.choices)
    evidence = models.JSONField("依据", default=list, blank=True, encoder=UnicodeJSONEncoder)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.SET_NULL, null=True, blank=True, verbose_name="编辑"
    )
    decided_at = models.DateTimeField("处理时间", default=timezone.now)

    class Meta:
        verbose_name = verbose_name_plural = "人物审核决定"
        ordering = ["-decided_at"]

    def __str__(self):
        return f"{self.get_kind_display()} {'/'.join(self.names)}：{self.get_action_display()}"


class Tombstone(models.Model):
    """What is left of an entry, section, person or organisation that no longer exists, so its URL still answers.

    A load that no longer finds a record, or an editor who deletes one, leaves a
    tombstone: the URL answers 410 with the volume and, where there is one, the record
    that replaced it. A record an editor merged into another (entries, people,
    organisations) answers 301 to that one instead. Ids are never given to another
    record, so a tombstone never hides a live record.
    """

    class Model(models.TextChoices):
        ENTRY = "entry", "条目"
        SECTION = "section", "目录节点"
        PERSON = "person", "人物"
        ORGANISATION = "organisation", "机构"

    class Reason(models.TextChoices):
        VANISHED = "vanished", "重新载入的源文件中已没有这一条"
        MERGED = "merged", "已由编辑并入另一记录"
        DELETED = "deleted", "已由编辑删除"

    model = models.CharField("类型", max_length=20, choices=Model.choices)
    object_id = models.BigIntegerField("原编号")
    # The volume by slug, not by key: a tombstone outlives even a deleted volume
    # (blank for people and organisations, which belong to no one volume).
    volume_slug = models.CharField("卷册标识", max_length=100, blank=True)
    title = models.CharField("标题", max_length=300)  # or the name of a person or organisation
    reason = models.CharField("原因", max_length=20, choices=Reason.choices)
    replaced_by = models.BigIntegerField("替代记录编号", null=True, blank=True)
    at = models.DateTimeField("时间", default=timezone.now)

    class Meta:
        verbose_name = verbose_name_plural = "已删除记录"
        ordering = ["-at"]
        constraints = [models.UniqueConstraint(fields=["model", "object_id"], name="unique_tombstone")]

    def __str__(self):
        return f"{self.get_model_display()} #{self.object_id}「{self.title}」"


class IndexTask(models.Model):
    """A change waiting for the search indexer.

    Requests never write the Whoosh index themselves: they queue the change here and
    one indexer process (``manage.py run_indexer``, started by gunicorn) applies the
    queue, so no request waits on the index's writer lock.
    """

    model = models.CharField("模型", max_length=50)  # app_label.model_name
    object_id = models.BigIntegerField("对象编号")
    queued_at = models.DateTimeField("加入时间", auto_now_add=True)

    class Meta:
        verbose_name = verbose_name_plural = "待索引变更"
        ordering = ["id"]

    def __str__(self):
        return f"{self.model}.{self.object_id}"
