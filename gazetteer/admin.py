from django.contrib import admin

from .models import Appointment, Byline, Caption, Entry, Organisation, Person, Section, SourceFile, Volume

admin.site.site_header = "方志档案 · 编辑后台"
admin.site.site_title = "方志档案"
admin.site.index_title = "编辑工作台"


@admin.register(Volume)
class VolumeAdmin(admin.ModelAdmin):
    list_display = ["title", "slug", "kind", "region", "year", "year_covered", "loaded_at"]
    list_filter = ["kind", "region", "year"]
    search_fields = ["title", "slug"]
    readonly_fields = ["source_hash", "loaded_at"]


@admin.register(SourceFile)
class SourceFileAdmin(admin.ModelAdmin):
    list_display = ["name", "volume", "position", "encoding", "sha256"]
    list_filter = ["volume"]
    readonly_fields = ["volume", "position", "name", "sha256", "encoding", "text"]


@admin.register(Section)
class SectionAdmin(admin.ModelAdmin):
    list_display = ["title", "volume", "level", "parent", "page", "digitized", "position"]
    list_filter = ["volume", "level", "digitized"]
    search_fields = ["title"]
    autocomplete_fields = ["parent"]
    list_select_related = ["volume", "parent"]


class BylineInline(admin.TabularInline):
    model = Byline
    autocomplete_fields = ["person"]
    extra = 0


class CaptionInline(admin.TabularInline):
    model = Caption
    autocomplete_fields = ["credit_person"]
    extra = 0


@admin.register(Entry)
class EntryAdmin(admin.ModelAdmin):
    list_display = ["title", "volume", "section", "kind", "date", "page", "source_file", "line_start", "line_end"]
    list_filter = ["volume", "kind", "section__level", ("date", admin.DateFieldListFilter)]
    search_fields = ["title", "text", "speaker"]
    autocomplete_fields = ["section", "speaker_person", "people", "organisations"]
    list_select_related = ["volume", "section"]
    inlines = [BylineInline, CaptionInline]
    ordering = ["volume", "position"]


class AppointmentInline(admin.TabularInline):
    model = Appointment
    autocomplete_fields = ["organisation"]
    extra = 0


@admin.register(Person)
class PersonAdmin(admin.ModelAdmin):
    list_display = ["name", "aliases", "notes"]
    search_fields = ["name", "aliases"]
    inlines = [AppointmentInline]


@admin.register(Organisation)
class OrganisationAdmin(admin.ModelAdmin):
    list_display = ["name", "aliases"]
    search_fields = ["name", "aliases"]


@admin.register(Appointment)
class AppointmentAdmin(admin.ModelAdmin):
    list_display = ["person", "title", "organisation", "volume", "note", "start_month", "end_month", "line"]
    list_filter = ["volume", "end_month", "start_month"]
    search_fields = ["person__name", "organisation__name", "title"]
    autocomplete_fields = ["person", "organisation"]
    list_select_related = ["person", "organisation", "volume"]


@admin.register(Caption)
class CaptionAdmin(admin.ModelAdmin):
    list_display = ["text", "credit", "entry"]
    search_fields = ["text", "credit"]
    autocomplete_fields = ["entry", "credit_person"]
    list_select_related = ["entry"]


@admin.register(Byline)
class BylineAdmin(admin.ModelAdmin):
    list_display = ["person", "entry", "position"]
    search_fields = ["person__name", "entry__title"]
    autocomplete_fields = ["person", "entry"]
    list_select_related = ["person", "entry"]
