#!/usr/bin/env python3
"""Regenerates the seed corpora under fuzz/corpus/ (docs/fuzzing.md).

Deterministic, and synthetic only: heads of the bundled synthetic samples in
data/sample/ and rows made up here. Run from anywhere: python3 fuzz/make_seeds.py
"""
import shutil
import zipfile
from pathlib import Path
from xml.sax.saxutils import escape

ROOT = Path(__file__).resolve().parent.parent
SAMPLE = ROOT / "data" / "sample"
CSV = ROOT / "fuzz" / "corpus" / "csv_reader"
XLSX = ROOT / "fuzz" / "corpus" / "xlsx_reader"


def head(path: Path, n: int) -> bytes:
    return b"".join(path.read_bytes().splitlines(keepends=True)[:n])


def csv_seeds() -> None:
    CSV.mkdir(parents=True, exist_ok=True)
    (CSV / "cme-sample-head.csv").write_bytes(head(SAMPLE / "cme-extract-sample.csv", 20))
    (CSV / "casesys-sample-head.csv").write_bytes(head(SAMPLE / "casesys-extract-sample.csv", 20))

    lines = (SAMPLE / "cme-extract-sample.csv").read_bytes().decode().split("\n")
    header, rows = lines[0], lines[1:6]
    body = "\n".join([header] + rows) + "\n"
    (CSV / "bom.csv").write_bytes(b"\xef\xbb\xbf" + body.encode())
    (CSV / "crlf.csv").write_bytes(body.replace("\n", "\r\n").encode())
    # Windows-1252 without a BOM: accented (made-up) names, a curly apostrophe.
    r = rows[:3]
    r[0] = r[0].replace("Ben,Testwick", "Ren\u00e9e,Test\u00e9wick")
    r[1] = r[1].replace("Pavel,Oxlethorpe", "Zo\u00eb,O\u2019Mocksley")
    (CSV / "windows-1252.csv").write_bytes(("\n".join([header] + r) + "\n").encode("cp1252"))
    # UTF-16LE with a BOM (Excel's "Unicode text").
    (CSV / "utf16le.csv").write_bytes(
        b"\xff\xfe" + ("\n".join([header] + rows[:2]) + "\n").encode("utf-16-le")
    )
    # A title row above the header (cme.toml has header_row = 1).
    (CSV / "title-row.csv").write_text(
        "CME report,Produced 02/07/2018\n" + "\n".join([header] + rows[:2]) + "\n", newline=""
    )

    # One row per quarantine reason, exact and conflicting duplicates, a blank
    # line, a quoted newline, a short and a long row, a total row and broken quoting.
    names = header.split(",")
    base = dict(zip(names, [
        "20000001", "0100001", "500001", "Alex", "Sampleton", "01/09/2008", "F", "WBRI",
        '"1 Fake Street, Exampleton"', "ZZ1 1ZZ", "North", "Primary", "01/05/2018", "", "",
        "Parenting", "N", "N", "N", "Y",
    ]))

    def row(**changes: str) -> str:
        values = dict(base, **changes)
        return ",".join(values[k] for k in names)

    edge = [
        header,
        row(),
        row(),
        row(episode_id="20000002"),
        row(episode_id="20000002", sex="M"),
        "",
        row(episode_id="20000003", referral_date="31/02/2018"),
        row(episode_id="20000004", referral_date="05/13/2018"),
        row(episode_id="20000005", referral_date="01/05/18"),
        row(episode_id="20000006", referral_date="2018-05-01", closure_date="2018-04-01"),
        row(episode_id="20000007", referral_date="01/08/2018"),
        row(episode_id="20000008", date_of_birth="01/01/1980"),
        row(episode_id="20000009", open_to_csc="maybe"),
        row(episode_id="20000010", child_id="#N/A"),
        row(episode_id="20000011", sex="X", ethnicity="(A.A1) White - British", locality="Nowhere"),
        row(episode_id="20000012.0", address='"2 Mock\nRoad"'),
        "20000013,0100013,500013",
        row(episode_id="20000014") + ",extra",
        "Total" + "," * 19,
        '"unterminated,quote',
    ]
    (CSV / "edge-cases.csv").write_text("\n".join(edge) + "\n", newline="")


CANONICAL = (
    "episode_id,child_id,family_id,forename,surname,date_of_birth,sex,ethnicity,address,postcode,"
    "locality,school_phase,referral_date,closure_date,closure_outcome,presenting_need,open_to_csc,"
    "open_to_eh_locality,open_to_eh_partner,removal_from_roll_authorised"
).split(",")


def column(i: int) -> str:
    name, i = "", i + 1
    while i:
        i, r = divmod(i - 1, 26)
        name = chr(65 + r) + name
    return name


def cell(ref: str, value) -> str:
    if isinstance(value, tuple):
        kind, x = value
        return {
            "date": f'<c r="{ref}" s="1"><v>{x}</v></c>',
            "bool": f'<c r="{ref}" t="b"><v>{x}</v></c>',
            "err": f'<c r="{ref}" t="e"><v>{x}</v></c>',
        }[kind]
    if isinstance(value, (int, float)):
        return f'<c r="{ref}"><v>{value}</v></c>'
    if value == "":
        return ""
    return f'<c r="{ref}" t="inlineStr"><is><t>{escape(value)}</t></is></c>'


def small_xlsx(path: Path) -> None:
    """A hand-made workbook with the canonical headers: inline strings, numbers,
    date-styled serials, a boolean, an error cell, an Excel-mangled id, a total
    row. Entries are stored, not deflated, so its XML is open to byte mutations."""
    rows = [
        CANONICAL,
        [30000001, "0200001", 600001, "Sam", "Fakeley", ("date", 39692), "F", "WBRI - White British",
         "3 Mock Lane, Exampleton", "ZZ2 2ZZ", "North", "Primary", ("date", 43221), ("date", 43252),
         "FOUND_SCHOOL_LA", "Parenting", ("bool", 0), "N", "N", "Y"],
        [30000002, "0200002", 600002, "Kit", "Testerton", "01/10/2007", "M", "(A.A1) White - British",
         "4 Mock Lane, Exampleton", "ZZ2 3ZZ", "South", "Secondary", 43230, "", "", "Parenting",
         "Yes", "No", "No", ("err", "#N/A")],
        [30000002.0, "0200002", 600002, "Kit", "Testerton", "01/10/2007", "M", "WBRI",
         "4 Mock Lane, Exampleton", "ZZ2 3ZZ", "South", "Secondary", "2018-05-10", "", "",
         "Parenting", "Yes", "No", "No", "Y"],
        ["Total", 3],
    ]
    sheet_rows = "".join(
        f'<row r="{r}">' + "".join(cell(f"{column(c)}{r}", v) for c, v in enumerate(values)) + "</row>"
        for r, values in enumerate(rows, start=1)
    )
    xml = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    main = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
    rels = "http://schemas.openxmlformats.org/package/2006/relationships"
    office = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
    ct = "application/vnd.openxmlformats-officedocument.spreadsheetml"
    files = {
        "[Content_Types].xml": xml + '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
        '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
        '<Default Extension="xml" ContentType="application/xml"/>'
        f'<Override PartName="/xl/workbook.xml" ContentType="{ct}.sheet.main+xml"/>'
        f'<Override PartName="/xl/worksheets/sheet1.xml" ContentType="{ct}.worksheet+xml"/>'
        f'<Override PartName="/xl/styles.xml" ContentType="{ct}.styles+xml"/></Types>',
        "_rels/.rels": xml + f'<Relationships xmlns="{rels}"><Relationship Id="rId1" '
        f'Type="{office}/officeDocument" Target="xl/workbook.xml"/></Relationships>',
        "xl/workbook.xml": xml + f'<workbook xmlns="{main}" xmlns:r="{office}"><sheets>'
        '<sheet name="CME" sheetId="1" r:id="rId1"/></sheets></workbook>',
        "xl/_rels/workbook.xml.rels": xml + f'<Relationships xmlns="{rels}">'
        f'<Relationship Id="rId1" Type="{office}/worksheet" Target="worksheets/sheet1.xml"/>'
        f'<Relationship Id="rId2" Type="{office}/styles" Target="styles.xml"/></Relationships>',
        "xl/styles.xml": xml + f'<styleSheet xmlns="{main}"><cellXfs count="2"><xf numFmtId="0"/>'
        '<xf numFmtId="14" applyNumberFormat="1"/></cellXfs></styleSheet>',
        "xl/worksheets/sheet1.xml": xml + f'<worksheet xmlns="{main}">'
        f'<dimension ref="A1:{column(len(CANONICAL) - 1)}{len(rows)}"/>'
        f"<sheetData>{sheet_rows}</sheetData></worksheet>",
    }
    with zipfile.ZipFile(path, "w", zipfile.ZIP_STORED) as z:
        for name, text in files.items():
            z.writestr(zipfile.ZipInfo(name, (2018, 7, 2, 0, 0, 0)), text)


def xlsx_seeds() -> None:
    XLSX.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(SAMPLE / "casesys-extract-sample.xlsx", XLSX / "casesys-extract-sample.xlsx")
    small_xlsx(XLSX / "small-canonical.xlsx")


if __name__ == "__main__":
    csv_seeds()
    xlsx_seeds()
