"""Grant ledgers written by the project after the layout of a METI regional bureau's
補助金に関する情報開示 page: one row per 交付決定, amounts in yen, a 番号 running number.

The programmes, recipients and amounts are the project's own; the columns are the real
ones (事業名, 交付先名, 法人番号, 交付決定額（単位：円）, 支出元会計区分, 支出元(目)名称,
交付決定日, 公益法人の区分, 国所管、都道府県所管の区分).
"""

from __future__ import annotations

from dataclasses import dataclass, replace

HEADER = """<thead>
<tr><th scope="col" rowspan="2">番号</th><th scope="col" rowspan="2">事業名</th>
<th scope="col" rowspan="2">交付先名</th><th scope="col" rowspan="2">法人番号</th>
<th scope="col" rowspan="2">交付決定額（単位：円）</th><th scope="col" rowspan="2">支出元会計区分</th>
<th scope="col" rowspan="2">支出元(目)名称</th><th scope="col" rowspan="2">交付決定日</th>
<th scope="col" colspan="2">公益法人の場合</th></tr>
<tr><th scope="col">公益法人の区分</th><th scope="col">国所管、都道府県所管の区分</th></tr>
</thead>"""


@dataclass(frozen=True)
class Grant:
    project: str
    recipient: str
    number: str  # 法人番号
    amount: str
    decided: str
    account: str = "エネルギー対策特別会計"
    item: str = "電源立地地域対策交付金"
    public: str = "非該当"


FY2024_H2 = (
    Grant("令和6年度電源立地地域対策交付金【香川県下期1：移出県】", "香川県", "4000020370002",
          "12,480,000", "令和6年12月2日"),
    Grant("令和6年度電源立地地域対策交付金【香川県下期2：移出県】", "香川県", "4000020370002",
          "3,215,400", "令和6年12月2日"),
    Grant("令和6年度電源立地地域対策交付金【坂出市下期：長期】", "坂出市", "1000020372030",
          "98,760,000", "令和6年12月2日"),
    Grant("令和6年度エネルギー構造高度化・転換理解促進事業", "株式会社讃岐エネルギー研究所",
          "3470001009876", "7,729,810", "令和6年10月11日",
          item="非化石エネルギー等導入促進対策費補助金"),
    Grant("令和6年度石油貯蔵施設立地対策等交付金（香川県・下期）", "香川県", "4000020370002",
          "24,599,940", "令和6年12月5日", item="石油貯蔵施設立地対策等交付金"),
)

# The next half-year: the same recipients and programmes, new decisions of 令和7年度.
FY2025_H2 = (
    Grant("令和7年度電源立地地域対策交付金【香川県下期1：移出県】", "香川県", "4000020370002",
          "11,902,000", "令和7年12月1日"),
    Grant("令和7年度電源立地地域対策交付金【香川県下期2：移出県】", "香川県", "4000020370002",
          "3,785,606", "令和7年12月1日"),
    Grant("令和7年度電源立地地域対策交付金【坂出市下期：長期】", "坂出市", "1000020372030",
          "101,300,000", "令和7年12月1日"),
    Grant("令和7年度電源立地地域対策交付金【丸亀市下期：水力】", "丸亀市", "3000020372021",
          "286,270", "令和7年12月1日"),
)


def row_html(number: int, grant: Grant) -> str:
    cells = (str(number), grant.project, grant.recipient, grant.number, grant.amount,
             grant.account, grant.item, grant.decided, grant.public, "　")
    return "<tr>" + "".join(f"<td>{cell}</td>" for cell in cells) + "</tr>"


def ledger_page(grants: tuple[Grant, ...], *, period: str = "令和6年10月から令和7年3月",
                heading: str = "四国経済産業局") -> str:
    """The page of one half-year's grant decisions."""
    rows = "\n".join(row_html(i, g) for i, g in enumerate(grants, start=1))
    return f"""<!DOCTYPE html><html lang="ja"><head><meta charset="UTF-8">
<title>補助金に関する情報開示（{period}）（四国経済産業局）</title></head><body>
<header><a href="/index.html">四国経済産業局</a></header>
<div id="main">
<div class="pan"><ol><li><a href="/index.html">ホーム</a></li><li>補助金に関する情報開示（{period}）</li></ol></div>
<h1>補助金に関する情報開示（{period}）</h1>
<div class="main">
<h2>{heading}</h2>
<ul class="lnkLst"><li><a href="hojokin.pdf">ファイルダウンロード（PDF形式：46KB）</a></li></ul>
<table class="keiyaku_table">
{HEADER}
<tbody>
{rows}
</tbody>
</table>
<h2>担当課</h2>
総務企画部 会計課
</div></div>
<footer><p>経済産業省（法人番号 4000012090001） 四国経済産業局</p></footer>
</body></html>"""


def revised(grants: tuple[Grant, ...], index: int, amount: str) -> tuple[Grant, ...]:
    """The same decisions with one amount revised (same 事業名, recipient and date)."""
    return tuple(replace(g, amount=amount) if i == index else g for i, g in enumerate(grants))
