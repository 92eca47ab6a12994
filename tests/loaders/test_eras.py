"""Era years, 干支 and Chinese numerals: the table in loaders/data/eras.tsv."""

import pytest

from loaders import eras


@pytest.mark.parametrize(
    "printed, year",
    [
        ("清乾隆十七年", 1752),
        ("乾隆十七年", 1752),
        ("民国27年", 1938),
        ("民国二十七年", 1938),
        ("中华民国元年", 1912),
        ("晋献公二十六年", -651),
        ("秦赢政二十九年", -218),  # 赢政, a common misprint of 嬴政
        ("西汉建元元年", -140),
        ("新始建国元年", 9),
        ("三国魏黄初四年", 223),
        ("唐乾符二年", 875),
        ("武帝永定元年", 557),  # the emperor before his era
        ("咸丰丙辰六年", 1856),  # 干支 between the era and the year
        ("光绪二十九年", 1903),
        ("宣统三年", 1911),
    ],
)
def test_an_era_year_converts_to_the_gregorian_year(printed, year):
    assert eras.convert(printed) == year


def test_a_year_before_the_common_era_counts_across_the_missing_year_zero():
    yuanshou = eras.resolve("元寿")
    assert (yuanshou.year(1), yuanshou.year(2)) == (-2, -1)
    assert eras.add_years(-1, 1) == 1


def test_chinese_numerals():
    assert [eras.chinese_number(t) for t in ["元", "正", "十", "十七", "二十九", "廿三", "卅", "一百二十", "27", "二三"]] == [
        1, 1, 10, 17, 29, 23, 30, 120, 27, None]
    assert eras.digit_year("一九八七") == 1987
    assert eras.digit_year("一九八") is None


def test_ganzhi_of_a_year_and_the_year_of_a_ganzhi():
    assert [eras.ganzhi(y) for y in (1984, 1645, 1856, 1911)] == ["甲子", "乙酉", "丙辰", "辛亥"]
    assert eras.year_of_ganzhi("乙酉", 1628) == 1645
    assert eras.year_of_ganzhi("丙戍", 1645) == 1646  # 戍, misprinted for 戌
    assert eras.year_of_ganzhi("甲子", 1984) == 1984  # from the given year on, that year included
    assert eras.year_of_ganzhi("甲丑", 1900) is None  # a stem and branch that never pair


def test_an_era_name_of_two_dynasties_is_settled_by_the_dynasty_or_the_year_around_it():
    # 至元: 元世祖 1264–1294 and 元顺帝 1335–1340; 太和: 魏, 东晋, 北魏 and 唐 (for 大和)
    assert eras.convert("至元十五年", near=1276) == 1278
    assert eras.convert("至元元年", near=1333) == 1335
    assert eras.convert("太和三年", dynasty="唐") == 829
    assert eras.convert("太和三年", dynasty="东晋") == 368
    assert eras.convert("太和三年", near=470) == 479  # 北魏, the first not ended by 470
    assert eras.convert("建兴元年", dynasty="汉") == 223  # 蜀汉, under a 汉 heading


def test_every_dynasty_name_of_a_heading_is_known():
    for name in ["汉", "陈", "唐", "宋", "元", "明", "清", "中华民国"]:
        assert eras.dynasties(name), name
    assert eras.dynasties("北京") == ()


def test_the_era_table_is_in_order_within_each_dynasty():
    by_dynasty = {}
    for era in eras.eras():
        by_dynasty.setdefault(era.dynasty, []).append(era)
        assert era.first <= era.last, era
    for dynasty, listed in by_dynasty.items():
        if dynasty == "春秋":
            continue  # rulers of different states, side by side
        firsts = [e.first for e in listed]
        assert firsts == sorted(firsts), dynasty
