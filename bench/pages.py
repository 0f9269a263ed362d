"""Deterministic METI-like pages for the benchmark: 60–120 KB of Japanese HTML each.

Every page looks like a METI policy page (global navigation, breadcrumbs,
div#__main_contents with paragraphs, a news list, a （単位：億円） note and a
~20-row approval table 認定日 | 認定事業者 | 計画の概要 | 最大助成額, related
documents, a side menu and a large footer site map). The same seed always gives
the same bytes, so runs on different days compare like with like.

``changed_site`` makes the second version: one page in ten changes one amount or
gains a row, and its 最終更新日 moves; every other page is byte-identical.
"""

from __future__ import annotations

import hashlib
import random
from dataclasses import dataclass, replace
from email.utils import formatdate

MIN_BYTES = 60_000
MAX_BYTES = 120_000

_PREFECTURES = (
    ("熊本県", "菊池郡菊陽町"), ("熊本県", "合志市"), ("三重県", "四日市市"), ("岩手県", "北上市"),
    ("広島県", "東広島市"), ("北海道", "千歳市"), ("宮城県", "大衡村"), ("茨城県", "ひたちなか市"),
    ("千葉県", "茂原市"), ("神奈川県", "川崎市"), ("静岡県", "浜松市"), ("愛知県", "豊田市"),
    ("山梨県", "甲斐市"), ("長野県", "諏訪市"), ("富山県", "魚津市"), ("石川県", "能美市"),
    ("福井県", "敦賀市"), ("滋賀県", "野洲市"), ("京都府", "長岡京市"), ("兵庫県", "姫路市"),
    ("岡山県", "倉敷市"), ("山口県", "宇部市"), ("愛媛県", "西条市"), ("福岡県", "北九州市"),
    ("佐賀県", "伊万里市"), ("大分県", "大分市"), ("宮崎県", "国富町"), ("鹿児島県", "霧島市"),
    ("新潟県", "上越市"), ("福島県", "会津若松市"), ("山形県", "鶴岡市"), ("青森県", "五所川原市"),
)
_NAME_HEADS = (
    "東邦", "北陸", "九州", "中部", "関東", "大和", "富士", "昭和", "新光", "三和", "北斗", "瑞穂",
    "扶桑", "桜井", "白鷺", "朝日", "日進", "東洋", "西日本", "東日本", "信越", "常磐", "瀬戸内",
    "有明", "阿蘇", "筑紫", "那須", "高千穂", "武蔵野", "相模", "駿河", "近江", "播磨", "出雲",
)
_NAME_CORES = (
    "半導体", "エレクトロニクス", "マテリアルズ", "デバイス", "精機", "化学", "電子工業", "シリコン",
    "テクノロジーズ", "ウェーハ", "フォトニクス", "パワーデバイス", "セミコンダクター", "データセンター",
    "クラウド", "計算機", "メモリ", "ファウンドリ", "先端材料", "インフラ", "ソリューションズ",
)
_NAME_FORMS = ("株式会社", "株式会社", "株式会社", "合同会社")
_PRODUCTS = (
    "22/28nm・12/16nmロジック半導体", "6nm・12nm・40nmロジック半導体", "第8世代3次元フラッシュメモリ",
    "EUV露光技術を用いた1γ世代DRAM", "広帯域メモリ（HBM）", "SiCパワー半導体", "GaNパワー半導体",
    "IGBTパワー半導体", "300mmシリコンウェーハ", "化合物半導体基板", "アナログ・ミックスドシグナル半導体",
    "車載向けマイコン", "イメージセンサー", "先端パッケージング（2.5D/3D実装）", "フォトマスク",
    "高純度フッ化水素", "フォトレジスト", "GPUクラウド計算基盤", "生成AI向け計算資源",
)
_FACILITIES = ("第1工場", "第2工場", "新工場", "本社工場", "開発拠点", "データセンター", "量産棟")
_SUBJECTS = (
    "経済産業省は、", "本制度では、", "認定事業者は、", "国は、", "本計画の実施にあたり、",
    "政府は、", "NEDOは、", "本基金により、", "関係省庁と連携し、", "我が国の産業政策として、",
    "令和6年度補正予算において、", "半導体・デジタル産業戦略に基づき、", "総合経済対策を踏まえ、",
    "地域経済への波及効果を念頭に、", "サプライチェーン強靱化の観点から、",
)
_MIDDLES = (
    "先端半導体の国内生産基盤の整備を", "供給途絶リスクへの備えを", "継続的な設備投資と人材育成を",
    "需給ひっ迫時の増産対応を", "技術流出の防止と情報管理の徹底を", "研究開発から量産までの一体的な支援を",
    "地域の雇用創出と関連産業の集積を", "脱炭素化と省エネルギー化の両立を", "グリーンイノベーションの推進を",
    "データセンターの地方分散と電力系統の整備を", "計算資源の安定的な供給の確保を",
    "中小企業を含むサプライチェーン全体の底上げを", "次世代半導体の設計・製造技術の確立を",
    "国際連携による共同研究開発の加速を", "経済安全保障上重要な物資の安定供給を",
)
_ENDS = (
    "推進しています。", "図ることとしています。", "求めています。", "支援しています。",
    "進めてまいります。", "目指します。", "重視しています。", "着実に実施します。",
    "引き続き検討してまいります。", "確認することとしています。", "期待されています。",
)
_CLAUSES = (
    "計画の認定に際しては、外部有識者の意見を聴取した上で審査を行います。",
    "助成金の交付にあたっては、事業の進捗状況を定期的に確認します。",
    "認定計画に変更が生じた場合には、変更認定の申請が必要となります。",
    "詳細は、公募要領及び交付規程をご確認ください。",
    "なお、記載の金額は認定時点における上限額です。",
    "申請に関するお問合せは、下記の担当窓口までご連絡ください。",
    "生産開始後10年以上の継続生産が求められます。",
    "本事業はNEDOに造成された基金を活用して実施します。",
)
_NEWS_VERBS = ("を認定しました", "の変更を認定しました", "を公表しました", "の公募を開始しました",
               "の採択結果を公表しました", "に関する説明会を開催します", "の交付を決定しました")
_NEWS_TOPICS = ("特定半導体生産施設整備等計画", "クラウドプログラムの供給確保計画", "ポスト5G情報通信システム基盤強化研究開発事業",
                "半導体・デジタル産業戦略", "先端半導体製造技術の開発", "経済安全保障推進法に基づく特定重要物資",
                "AI・半導体産業基盤強化フレーム", "次世代半導体の研究開発プロジェクト")
_GNAV = (
    ("ニュースリリース", "press"), ("会見・談話", "speeches"), ("政策について", "policy"),
    ("統計", "statistics"), ("法令・手続", "law"), ("経済産業省について", "intro"),
)
_POLICY_AREAS = (
    "経済産業", "対外経済", "ものづくり/情報/流通・サービス", "安全・安心", "中小企業・地域経済",
    "エネルギー・環境", "産業保安", "福島復興", "通商政策", "知的財産", "デジタル化", "産業人材",
    "イノベーション", "GX（グリーントランスフォーメーション）", "経済安全保障", "情報政策",
    "半導体・デジタル産業", "製造産業", "商務・サービス", "消費者政策", "資源・燃料", "電力・ガス",
    "原子力", "省エネルギー", "再生可能エネルギー", "水素・アンモニア", "蓄電池", "宇宙産業",
    "航空機産業", "自動車産業", "ヘルスケア産業", "コンテンツ産業", "クールジャパン", "観光",
    "物流", "小売・卸売", "標準化・認証", "計量", "産業構造", "地域経済産業", "事業承継",
    "スタートアップ", "下請取引適正化", "貿易管理", "国際協力", "WTO・EPA", "投資促進",
)


@dataclass(frozen=True, slots=True, kw_only=True)
class Row:
    """One approved plan: the four cells of the table."""

    date: str
    operator: str
    plan: str
    amount: str  # as written in the 億円 column, e.g. "4,760" or "929.3"


@dataclass(frozen=True, slots=True, kw_only=True)
class PageSpec:
    """What one page says; ``render`` turns it into bytes."""

    index: int
    title: str
    updated: str  # 最終更新日 in 令和 form
    intro: tuple[str, ...]
    news: tuple[tuple[str, str, str], ...]  # (date, title, href)
    rows: tuple[Row, ...]
    sections: tuple[tuple[str, tuple[str, ...]], ...]  # (heading, paragraphs)
    documents: tuple[tuple[str, str], ...]  # 関連資料: (title, href)
    side: tuple[tuple[str, str], ...]  # (label, href)


@dataclass(frozen=True, slots=True, kw_only=True)
class Site:
    """N pages by path, with the validators a server sends for each."""

    pages: dict[str, bytes]
    etags: dict[str, str]
    last_modified: dict[str, str]

    @property
    def total_bytes(self) -> int:
        return sum(len(b) for b in self.pages.values())


@dataclass(frozen=True, slots=True, kw_only=True)
class Edits:
    """What the second version changed: the paths, and how many of each kind."""

    amount_changed: tuple[str, ...]
    row_added: tuple[str, ...]

    @property
    def expected_changes(self) -> int:
        # Each edited page carries exactly one real change (amount_changed or entry_added).
        return len(self.amount_changed) + len(self.row_added)


def page_path(index: int) -> str:
    """The URL path of page ``index``."""
    return f"/policy/mono_info_service/joho/bench/{index:04d}/semiconductor.html"


def reiwa(rng: random.Random, first_year: int = 4, last_year: int = 7) -> str:
    """A 令和 date between the given years."""
    return f"令和{rng.randint(first_year, last_year)}年{rng.randint(1, 12)}月{rng.randint(1, 28)}日"


def _amount(rng: random.Random) -> str:
    """An 億円 amount written as METI does: 4,760 / 929.3 / 25.6."""
    kind = rng.random()
    if kind < 0.4:
        value = rng.randint(100, 9_000)
        return f"{value:,}"
    if kind < 0.8:
        return f"{rng.randint(10, 999)}.{rng.randint(1, 9)}"
    return f"{rng.randint(1, 99)}.{rng.randint(1, 9)}"


def _company(rng: random.Random, taken: set[str]) -> str:
    while True:
        head, core, form = rng.choice(_NAME_HEADS), rng.choice(_NAME_CORES), rng.choice(_NAME_FORMS)
        name = f"{form}{head}{core}" if rng.random() < 0.2 else f"{head}{core}{form}"
        if name not in taken:
            taken.add(name)
            return name


def _row(rng: random.Random, taken: set[str]) -> Row:
    operators = [_company(rng, taken)]
    if rng.random() < 0.15:
        operators.append(_company(rng, taken))
    pref, city = rng.choice(_PREFECTURES)
    product = rng.choice(_PRODUCTS)
    facility = rng.choice(_FACILITIES)
    capacity = f"月産{rng.randint(1, 12)}.{rng.randint(0, 9)}万枚（12インチウェハ換算）"
    jobs = f"雇用創出：約{rng.randint(1, 30) * 100:,}人"
    plan = f"{pref}{city}（{facility}）：{product}<br>生産能力：{capacity}<br>{jobs}"
    return Row(date=reiwa(rng), operator="<br>".join(operators), plan=plan, amount=_amount(rng))


_QUALIFIERS = (
    "先端", "次世代", "国内", "地域", "中長期的な", "安定的な", "戦略的な", "持続可能な", "国際的な",
    "大規模な", "新たな", "重点的な", "計画的な", "横断的な", "官民一体の", "民間主導の", "包括的な",
)
_NOUNS = (
    "設備投資", "人材育成", "研究開発", "量産体制", "供給網", "需要見通し", "技術開発", "生産能力",
    "電力供給", "用水確保", "物流網", "品質管理", "評価体制", "資金調達", "工場立地", "輸出管理",
    "情報管理", "国際標準化", "知的財産", "産学連携", "製造装置", "素材供給", "設計基盤", "検査技術",
    "実装技術", "後工程", "前工程", "計算資源", "通信基盤", "省エネ性能", "環境負荷", "安全対策",
)


# Common kanji of administrative prose: compounds drawn from them give the text the
# variety (and so the compressibility, about 3x) of real pages rather than a phrase book's.
_KANJI = (
    "国政府省庁県市町村産業経済事業計画認定申請審査交付助成補助支援制度基金予算決算年度期間"
    "開発研究技術製造生産設備投資工場拠点施設整備供給需要確保安定強化推進促進実施運用管理評価"
    "報告公表発表公募採択選定変更追加削除対象範囲条件要件基準規程要領様式書類提出受付窓口担当"
    "電力電子情報通信半導体素材材料部品装置機器製品品質性能効率環境安全保障輸出入貿易市場価格"
    "企業法人団体大学機関組織人材育成雇用地域社会国際連携協力協定合意方針戦略政策施策措置課題"
    "検討調査分析結果成果効果影響見通し将来長期短期中期目標指標実績状況現状今後引続継続新規"
)


def _compound(rng: random.Random) -> str:
    return "".join(rng.choice(_KANJI) for _ in range(rng.choice((2, 2, 2, 3, 4))))


def _phrase(rng: random.Random) -> str:
    if rng.random() < 0.3:
        return rng.choice(_MIDDLES)
    if rng.random() < 0.5:
        return (f"{rng.choice(_QUALIFIERS)}{rng.choice(_NOUNS)}と{_compound(rng)}の"
                f"{_compound(rng)}を")
    return f"{_compound(rng)}における{_compound(rng)}及び{_compound(rng)}の{_compound(rng)}を"


def _sentence(rng: random.Random) -> str:
    sentence = rng.choice(_SUBJECTS) + _phrase(rng) + rng.choice(_ENDS)
    if rng.random() < 0.35:
        sentence += rng.choice(_CLAUSES)
    if rng.random() < 0.25:
        sentence += (f"令和{rng.randint(4, 8)}年度には約{rng.randint(10, 9_999):,}億円を計上し、"
                     f"{rng.randint(2, 40)}件の計画を支援する見込みです。")
    return sentence


def _paragraph(rng: random.Random) -> str:
    return "".join(_sentence(rng) for _ in range(rng.randint(2, 5)))


def _news(rng: random.Random, count: int) -> tuple[tuple[str, str, str], ...]:
    items = []
    for _ in range(count):
        year, month, day = rng.randint(2022, 2025), rng.randint(1, 12), rng.randint(1, 28)
        serial = f"{year}{month:02d}{day:02d}{rng.randint(1, 9):03d}"
        title = rng.choice(_NEWS_TOPICS) + rng.choice(_NEWS_VERBS)
        items.append((f"{year}年{month}月{day}日", title, f"/press/{year}/{month:02d}/{serial}/{serial}.html"))
    return tuple(items)


_DOC_KINDS = ("概要", "資料", "参考資料", "説明資料", "議事要旨", "公募要領", "交付規程", "FAQ", "様式")


def _document(rng: random.Random, index: int) -> tuple[str, str]:
    """One 関連資料 entry: a PDF with a long, dated path, as METI lists them."""
    year, month, day = rng.randint(2021, 2025), rng.randint(1, 12), rng.randint(1, 28)
    title = (f"{rng.choice(_NEWS_TOPICS)}{rng.choice(_DOC_KINDS)}{index + 1}"
             f"（PDF形式：{rng.randint(80, 4_000):,}KB）")
    href = (f"/policy/mono_info_service/joho/{rng.choice(('semiconductor', 'cloud', 'post5g', 'ai'))}"
            f"/{year}{month:02d}{day:02d}/{rng.randint(1, 999):03d}_{index + 1:02d}.pdf")
    return title, href


def _side_link(rng: random.Random) -> tuple[str, str]:
    area = rng.randrange(len(_POLICY_AREAS))
    label = f"{_POLICY_AREAS[area]}（{rng.choice(_NEWS_TOPICS)}）"
    return label, f"/policy/{area:02d}/{rng.randint(1, 60):02d}/{rng.randint(1, 999):03d}.html"


def page_spec(index: int, seed: int = 2025) -> PageSpec:
    """The content of page ``index``: the same for the same (index, seed)."""
    rng = random.Random(f"{seed}:{index}")
    taken: set[str] = set()
    rows = tuple(_row(rng, taken) for _ in range(rng.randint(18, 22)))
    target = rng.randint(MIN_BYTES, MAX_BYTES)
    sections = tuple(
        (rng.choice(_NEWS_TOPICS) + "について", tuple(_paragraph(rng) for _ in range(rng.randint(1, 3))))
        for _ in range(rng.randint(1, 3))
    )
    spec = PageSpec(
        index=index, title=f"{rng.choice(_NEWS_TOPICS)}（{rng.choice(_PRODUCTS)}）の認定状況",
        updated=reiwa(rng, 7, 7), intro=tuple(_paragraph(rng) for _ in range(rng.randint(2, 3))),
        news=_news(rng, rng.randint(8, 20)), rows=rows, sections=sections, documents=(),
        side=tuple(_side_link(rng) for _ in range(20)),
    )
    # Real pages are long because of lists of documents and links, not because of
    # prose: grow the page that way to its target size.
    documents: list[tuple[str, str]] = []
    side = list(spec.side)
    size = len(render(spec))
    while size < target:
        if rng.random() < 0.5:
            title, href = _document(rng, len(documents))
            documents.append((title, href))
            size += len(title.encode()) + len(href) + 24
        else:
            label, href = _side_link(rng)
            side.append((label, href))
            size += len(label.encode()) + len(href) + 26
    return replace(spec, documents=tuple(documents), side=tuple(side))


def render(spec: PageSpec) -> bytes:
    """The page as UTF-8 HTML."""
    out: list[str] = []
    w = out.append
    w('<!DOCTYPE html>\n<html lang="ja">\n<head>\n<meta charset="UTF-8">\n')
    w('<meta name="viewport" content="width=device-width, initial-scale=1">\n')
    w(f"<title>{spec.title}（METI/経済産業省）</title>\n")
    w(f'<meta name="description" content="{spec.title}について掲載しています。">\n')
    w(f'<meta property="og:title" content="{spec.title}（METI/経済産業省）">\n')
    w('<meta property="og:site_name" content="経済産業省">\n')
    for css in ("common", "layout", "module", "print", "policy"):
        w(f'<link rel="stylesheet" href="/css/{css}.css?v=20250401" media="all">\n')
    for js in ("jquery.min", "common", "gnav", "accordion", "analytics"):
        w(f'<script src="/js/{js}.js?v=20250401" defer></script>\n')
    w("<script>window.dataLayer=window.dataLayer||[];function gtag(){dataLayer.push(arguments);}"
      "gtag('js',new Date());gtag('config','G-XXXXXXXXXX');</script>\n</head>\n<body>\n")
    w('<a class="skip" href="#__main_contents">本文へスキップ</a>\n')
    w('<header id="__header" class="l-header">\n<div class="l-header__logo"><a href="/">'
      '<img src="/img/common/logo.svg" alt="経済産業省 Ministry of Economy, Trade and Industry" '
      'width="236" height="50"></a></div>\n<ul class="l-header__menu"><li><a href="/english/index.html" '
      'lang="en">English</a></li><li><a href="/sitemap/index.html">サイトマップ</a></li>'
      '<li><a href="/contact/index.html">お問合せ</a></li><li><a href="/accessibility/index.html">'
      "文字サイズ・色合い変更</a></li></ul>\n")
    w('<nav id="__global_nav" class="l-gnav" aria-label="グローバルナビゲーション">\n<ul>\n')
    for label, slug in _GNAV:
        w(f'<li class="l-gnav__item"><a href="/{slug}/index.html">{label}</a>\n'
          '<div class="l-gnav__mega"><ul class="l-gnav__sub">\n')
        for i, area in enumerate(_POLICY_AREAS):
            w(f'<li><a href="/{slug}/{i:02d}/index.html">{area}</a></li>\n')
        w("</ul></div></li>\n")
    w("</ul>\n</nav>\n</header>\n")
    w('<nav class="breadcrumb" aria-label="パンくずリスト"><ol><li><a href="/">ホーム</a></li>'
      '<li><a href="/policy/index.html">政策について</a></li><li><a href="/policy/mono_info_service/index.html">'
      'ものづくり/情報/流通・サービス</a></li><li><a href="/policy/mono_info_service/joho/index.html">'
      f'情報政策</a></li><li aria-current="page">{spec.title}</li></ol></nav>\n')
    w('<main class="l-main">\n<div id="__main_contents" class="l-contents">\n')
    w(f"<h1>{spec.title}</h1>\n")
    for paragraph in spec.intro:
        w(f"<p>{paragraph}</p>\n")
    w('<h2 class="c-heading">お知らせ</h2>\n<ul class="news_list">\n')
    for date, title, href in spec.news:
        w(f'<li>{date}　<a href="{href}">{title}</a></li>\n')
    w("</ul>\n")
    w('<h2 class="c-heading" id="list">認定計画一覧</h2>\n<p class="c-note right">（単位：億円）</p>\n')
    w('<div class="c-table-wrap">\n<table class="c-table">\n<thead>\n<tr><th scope="col">認定日</th>'
      '<th scope="col">認定事業者</th><th scope="col">計画の概要</th><th scope="col">最大助成額</th></tr>\n'
      "</thead>\n<tbody>\n")
    for row in spec.rows:
        w(f'<tr><td class="center">{row.date}</td><td>{row.operator}</td>'
          f'<td class="left">{row.plan}</td><td class="right">{row.amount}</td></tr>\n')
    w("</tbody>\n</table>\n</div>\n")
    w('<p class="c-note">※1 最大助成額は認定時点における助成金の上限額であり、実際の交付額は事業の進捗等に応じて決定されます。</p>\n')
    w('<p class="c-note">※2 助成金は、NEDOに造成された基金から交付されます。</p>\n')
    for heading, paragraphs in spec.sections:
        w(f'<h2 class="c-heading">{heading}</h2>\n')
        for paragraph in paragraphs:
            w(f"<p>{paragraph}</p>\n")
    w('<h2 class="c-heading">関連資料</h2>\n<ul class="c-link-list">\n')
    for title, href in spec.documents:
        w(f'<li><a href="{href}">{title}</a></li>\n')
    w("</ul>\n")
    w('<h2 class="c-heading">お問合せ先</h2>\n<p>商務情報政策局 情報産業課 デバイス・半導体戦略室<br>'
      f"電話：03-3501-1511（内線 {3900 + spec.index % 100}）</p>\n")
    w(f'<div id="__rdo_update"><p class="rdo_update">最終更新日：{spec.updated}</p></div>\n')
    w("</div>\n")
    w('<aside class="l-side"><nav class="l-side__nav" aria-label="関連政策"><ul>\n')
    for label, href in spec.side:
        w(f'<li><a href="{href}">{label}</a></li>\n')
    w("</ul></nav></aside>\n</main>\n")
    w('<footer id="__footer" class="l-footer">\n<nav class="l-footer__sitemap" aria-label="サイトマップ">\n')
    for label, slug in _GNAV:
        w(f'<dl><dt><a href="/{slug}/index.html">{label}</a></dt>\n')
        for i, area in enumerate(_POLICY_AREAS[:24]):
            w(f'<dd><a href="/{slug}/{i:02d}/index.html">{area}</a></dd>\n')
        w("</dl>\n")
    w('</nav>\n<nav class="l-footer__nav" aria-label="フッターナビゲーション"><ul>'
      '<li><a href="/main/sitepolicy.html">利用規約・著作権・リンク</a></li>'
      '<li><a href="/main/privacy.html">プライバシーポリシー</a></li>'
      '<li><a href="/main/accessibility.html">ウェブアクセシビリティ方針</a></li>'
      '<li><a href="/main/faq.html">よくあるお問合せ</a></li></ul></nav>\n'
      "<address>経済産業省 〒100-8901 東京都千代田区霞が関1-3-1 代表電話 03-3501-1511</address>\n"
      '<p class="l-footer__copy"><small>Copyright Ministry of Economy, Trade and Industry. '
      "All Rights Reserved.</small></p>\n</footer>\n</body>\n</html>\n")
    return "".join(out).encode("utf-8")


def edit(spec: PageSpec, seed: int = 2025) -> tuple[PageSpec, str]:
    """The second version of an edited page and the kind of change: an amount or a new row."""
    rng = random.Random(f"{seed}:edit:{spec.index}")
    rows = list(spec.rows)
    if rng.random() < 0.5:
        at = rng.randrange(len(rows))
        old = rows[at].amount
        new = old
        while new == old:
            new = _amount(rng)
        rows[at] = replace(rows[at], amount=new)
        kind = "amount_changed"
    else:
        taken = {r.operator for r in rows}
        rows.append(_row(rng, taken))
        kind = "row_added"
    return replace(spec, rows=tuple(rows), updated=reiwa(rng, 8, 8)), kind


def _validators(body: bytes, version: int, index: int) -> tuple[str, str]:
    etag = '"' + hashlib.sha256(body).hexdigest()[:20] + '"'
    # Fixed, distinct dates per version so runs are reproducible.
    stamp = 1_735_689_600 + version * 86_400 + index * 60
    return etag, formatdate(stamp, usegmt=True)


def build_sites(n: int, *, seed: int = 2025, changed_every: int = 10) -> tuple[Site, Site, Edits]:
    """Both versions of the N-page site and what changed between them (1 page in ``changed_every``)."""
    first: dict[str, bytes] = {}
    second: dict[str, bytes] = {}
    amount: list[str] = []
    added: list[str] = []
    picker = random.Random(f"{seed}:pick")
    chosen = set(picker.sample(range(n), k=max(1, n // changed_every))) if n else set()
    for index in range(n):
        path = page_path(index)
        spec = page_spec(index, seed)
        first[path] = render(spec)
        if index in chosen:
            edited, kind = edit(spec, seed)
            second[path] = render(edited)
            (amount if kind == "amount_changed" else added).append(path)
        else:
            second[path] = first[path]
    sites = []
    for version, pages in ((1, first), (2, second)):
        etags, modified = {}, {}
        for index in range(n):
            path = page_path(index)
            # An unchanged page keeps its validators across versions.
            v = version if pages[path] is not first[path] else 1
            etags[path], modified[path] = _validators(pages[path], v, index)
        sites.append(Site(pages=pages, etags=etags, last_modified=modified))
    return sites[0], sites[1], Edits(amount_changed=tuple(amount), row_added=tuple(added))
