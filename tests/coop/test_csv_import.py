"""Reading an import's CSV file (coop.csv_import): what the register, money and contributions
imports share."""

import csv
import io

import pytest
from hypothesis import given
from hypothesis import strategies as st

from coop import csv_import
from coop.errors import InvalidInput

COLUMNS = ("member_number", "date", "quantity", "note")
REQUIRED = ("member_number", "date", "quantity")


def read(text: str):
    preview = csv_import.Preview()
    return csv_import.read(text, preview, columns=COLUMNS, required=REQUIRED), preview


def test_a_spreadsheets_semicolon_file_with_a_byte_order_mark():
    data = "\ufeffMember Number;Date;Quantity\r\n7;2025-03-01;\"1,5\"\r\n".encode()
    rows, preview = read(csv_import.decode(data))
    assert rows == [(2, {"member_number": "7", "date": "2025-03-01", "quantity": "1,5"})]
    assert preview.file_errors == [] and preview.columns == ["member_number", "date", "quantity"]


def test_rows_keep_the_spreadsheets_numbers_past_blank_lines_and_multi_line_cells():
    text = ('member_number,date,quantity,note\n1,2025-01-01,1,"two\nlines"\n\n ,, ,\n'
            "2,2025-01-02,2,\n")
    rows, preview = read(text)
    assert [number for number, _ in rows] == [3, 6]  # the row a spreadsheet shows
    assert rows[0][1]["note"] == "two\nlines" and preview.file_errors == []


@pytest.mark.parametrize(("text", "errors"), [
    ("", ["The file is empty."]),
    ("member_number,date\n1,2025-01-01\n", ["Missing column(s): quantity."]),
    ("member_number,date,quantity,colour\n1,2025-01-01,1,red\n",
     ["Unknown column(s): colour; the columns are member_number, date, quantity, note."]),
    ("member_number,date,quantity,date\n1,2025-01-01,1,2025-01-02\n",
     ["Repeated column(s): date."]),
    ("member_number,date,quantity\n1,2025-01-01,1,surplus\n",
     ["Row 2 has more cells than the header."]),
    ("member_number,date,quantity\n", ["The file has a header but no rows."]),
])
def test_what_is_wrong_with_the_file_itself(text, errors):
    _, preview = read(text)
    assert preview.file_errors == errors
    assert not preview.ok


def test_a_file_that_is_not_utf8_is_refused_with_what_to_do():
    with pytest.raises(InvalidInput, match="save it as \"CSV UTF-8\""):
        csv_import.decode("member_number\nJosé".encode("latin-1"))


def test_the_errors_by_row_and_column():
    preview = csv_import.Preview(rows=[csv_import.Row(2, {}), csv_import.Row(3, {})],
                                 file_errors=["Row 9 has more cells than the header."])
    preview.rows[1].error("date", "Write the date as YYYY-MM-DD.")
    preview.rows[1].error("date", "After today.")
    assert preview.errors_dict() == {
        "file": ["Row 9 has more cells than the header."],
        "row 3": ["date: Write the date as YYYY-MM-DD.", "date: After today."]}
    assert preview.error_lines() == ["file: Row 9 has more cells than the header.",
                                     "row 3, date: Write the date as YYYY-MM-DD.",
                                     "row 3, date: After today."]
    assert [r.row for r in preview.error_rows] == [3] and not preview.ok


cell = st.text(st.characters(blacklist_categories=("Cs", "Cc")), max_size=12).map(str.strip)


@given(rows=st.lists(st.tuples(cell, cell, cell, cell), min_size=1, max_size=8),
       delimiter=st.sampled_from([",", ";"]))
def test_what_a_spreadsheet_writes_is_read_back(rows, delimiter):
    out = io.StringIO()
    writer = csv.writer(out, delimiter=delimiter)
    writer.writerow(COLUMNS)
    writer.writerows(rows)
    read_back, preview = read(out.getvalue())
    # Blank rows are left out; every other row comes back cell for cell.
    expected = [dict(zip(COLUMNS, r, strict=True)) for r in rows if any(r)]
    assert [values for _, values in read_back] == expected
    assert preview.file_errors == ([] if expected else ["The file has a header but no rows."])
