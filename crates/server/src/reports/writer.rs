//! Report files: XLSX (typed numeric and date cells, through rust_xlsxwriter's constant-memory
//! mode) and CSV (RFC 4180), written row by row as pages arrive.

use rust_xlsxwriter::{ExcelDateTime, Format, Workbook, XlsxError};
use sampan_domain::report::{ReportFormat, ReportRow, ReportTotals, ReportType};
use sampan_domain::{Currency, DisplayZone, Money};
use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

#[derive(Debug, thiserror::Error)]
pub enum WriteError {
    #[error("writing the report: {0}")]
    Io(#[from] std::io::Error),
    #[error("writing the report: {0}")]
    Xlsx(#[from] XlsxError),
}

/// Value in the file's `transactionId` column that marks a totals row.
pub const TOTAL: &str = "TOTAL";

/// The columns of a report of `kind`.
pub fn headers(kind: ReportType) -> &'static [&'static str] {
    match kind {
        ReportType::Payments => &[
            "transactionId",
            "mchOrderId",
            "channelCode",
            "amount",
            "fee",
            "status",
            "createTime",
            "returnTime",
            "failedCode",
            "failedMessage",
            "refundedAmount",
        ],
        ReportType::Payouts => &[
            "transactionId",
            "mchOrderId",
            "payMethodCode",
            "transferCode",
            "amount",
            "fee",
            "status",
            "createTime",
            "returnTime",
            "failedCode",
            "failedMessage",
        ],
    }
}

/// One cell, before it is written in either format.
enum Cell<'a> {
    Text(&'a str),
    Int(i64),
    Money(i64),
    Time(i64),
    Empty,
}

fn cells(kind: ReportType, row: &ReportRow) -> Vec<Cell<'_>> {
    let opt_time = |t: Option<i64>| t.map_or(Cell::Empty, Cell::Time);
    let failed_code = row.failed_code.map_or(Cell::Empty, Cell::Int);
    let failed_message = row.failed_message().map_or(Cell::Empty, Cell::Text);
    let mut out = vec![
        Cell::Text(&row.transaction_id),
        Cell::Text(&row.mch_order_id),
        Cell::Text(&row.channel_code),
    ];
    if kind == ReportType::Payouts {
        out.push(row.transfer_code.as_deref().map_or(Cell::Empty, Cell::Text));
    }
    out.extend([
        Cell::Money(row.amount.minor),
        Cell::Money(row.fee),
        Cell::Text(row.status.as_str()),
        Cell::Time(row.created_at),
        opt_time(row.finished_at),
        failed_code,
        failed_message,
    ]);
    if kind == ReportType::Payments {
        out.push(Cell::Money(row.refunded.unwrap_or(0)));
    }
    out
}

/// Totals rows: `TOTAL` in the first column, the row count in the second, the sums under
/// amount, fee (and refundedAmount), the status in its column.
fn total_cells(
    kind: ReportType,
    status: &'static str,
    count: u64,
    t: (i64, i64, i64),
) -> Vec<Cell<'static>> {
    let mut out = vec![Cell::Text(TOTAL), Cell::Int(count as i64), Cell::Empty];
    if kind == ReportType::Payouts {
        out.push(Cell::Empty);
    }
    out.extend([
        Cell::Money(t.0),
        Cell::Money(t.1),
        Cell::Text(status),
        Cell::Empty,
        Cell::Empty,
        Cell::Empty,
        Cell::Empty,
    ]);
    if kind == ReportType::Payments {
        out.push(Cell::Money(t.2));
    }
    out
}

/// Rows of one XLSX sheet, header included (Excel's limit).
const SHEET_ROWS: u32 = 1_048_576;

enum Sink {
    Csv(BufWriter<File>),
    Xlsx(Box<XlsxSink>),
}

struct XlsxSink {
    path: PathBuf,
    workbook: Workbook,
    sheet: usize,
    row: u32,
    money: Format,
    date: Format,
    bold: Format,
    started: bool,
}

/// Writes one report file as rows arrive.
pub struct ReportWriter {
    kind: ReportType,
    currency: Currency,
    zone: DisplayZone,
    sink: Sink,
    totals: ReportTotals,
    rows: u64,
}

impl ReportWriter {
    /// Starts the file at `path`. XLSX keeps rows in temporary files under `tmp_dir` until
    /// [`finish`](Self::finish) zips them into `path`.
    pub fn create(
        path: &Path,
        tmp_dir: &Path,
        kind: ReportType,
        format: ReportFormat,
        currency: Currency,
        zone: DisplayZone,
    ) -> Result<ReportWriter, WriteError> {
        let sink = match format {
            ReportFormat::Csv => Sink::Csv(BufWriter::with_capacity(1 << 16, File::create(path)?)),
            ReportFormat::Xlsx => {
                let mut workbook = Workbook::new();
                workbook.set_tempdir(tmp_dir)?;
                let money = Format::new().set_num_format(match currency.decimals() {
                    0 => "#,##0",
                    _ => "#,##0.00",
                });
                let date = Format::new().set_num_format("yyyy-mm-dd hh:mm:ss");
                let bold = Format::new().set_bold();
                Sink::Xlsx(Box::new(XlsxSink {
                    path: path.to_path_buf(),
                    workbook,
                    sheet: 0,
                    row: 0,
                    money,
                    date,
                    bold,
                    started: false,
                }))
            }
        };
        let mut writer = ReportWriter {
            kind,
            currency,
            zone,
            sink,
            totals: ReportTotals::default(),
            rows: 0,
        };
        writer.start_sheet()?;
        Ok(writer)
    }

    fn start_sheet(&mut self) -> Result<(), WriteError> {
        let headers = headers(self.kind);
        match &mut self.sink {
            Sink::Csv(out) => {
                write_csv_line(out, headers.iter().map(|h| std::borrow::Cow::Borrowed(*h)))?;
            }
            Sink::Xlsx(x) => {
                let XlsxSink {
                    workbook,
                    sheet,
                    row,
                    bold,
                    started,
                    ..
                } = &mut **x;
                if *started {
                    *sheet += 1;
                }
                *started = true;
                let name = match *sheet {
                    0 => "Transactions".to_string(),
                    n => format!("Transactions {}", n + 1),
                };
                let ws = workbook.add_worksheet_with_constant_memory()?;
                ws.set_name(name)?;
                for (c, h) in headers.iter().enumerate() {
                    let width = match *h {
                        "transactionId" | "createTime" | "returnTime" => 21.0,
                        "failedMessage" => 34.0,
                        _ => 15.0,
                    };
                    ws.set_column_width(c as u16, width)?;
                    ws.write_string_with_format(0, c as u16, *h, bold)?;
                }
                ws.set_freeze_panes(1, 0)?;
                *row = 1;
            }
        }
        Ok(())
    }

    pub fn write(&mut self, row: &ReportRow) -> Result<(), WriteError> {
        self.totals.add(row);
        self.rows += 1;
        let cells = cells(self.kind, row);
        self.write_cells(&cells)
    }

    fn write_cells(&mut self, cells: &[Cell<'_>]) -> Result<(), WriteError> {
        if let Sink::Xlsx(x) = &self.sink {
            if x.row >= SHEET_ROWS {
                self.start_sheet()?;
            }
        }
        let currency = self.currency;
        let zone = self.zone;
        match &mut self.sink {
            Sink::Csv(out) => write_csv_line(
                out,
                cells.iter().map(|c| match c {
                    Cell::Text(s) => std::borrow::Cow::Borrowed(*s),
                    Cell::Int(v) => std::borrow::Cow::Owned(v.to_string()),
                    Cell::Money(v) => {
                        std::borrow::Cow::Owned(Money::new(*v, currency).to_major_string())
                    }
                    Cell::Time(t) => std::borrow::Cow::Owned(zone.format(*t)),
                    Cell::Empty => std::borrow::Cow::Borrowed(""),
                }),
            )?,
            Sink::Xlsx(x) => {
                let XlsxSink {
                    workbook,
                    sheet,
                    row,
                    money,
                    date,
                    ..
                } = &mut **x;
                let ws = workbook.worksheet_from_index(*sheet)?;
                let scale = 10f64.powi(currency.decimals() as i32);
                for (c, cell) in cells.iter().enumerate() {
                    let c = c as u16;
                    match cell {
                        Cell::Text(s) => {
                            ws.write_string(*row, c, *s)?;
                        }
                        Cell::Int(v) => {
                            ws.write_number(*row, c, *v as f64)?;
                        }
                        Cell::Money(v) => {
                            ws.write_number_with_format(*row, c, *v as f64 / scale, money)?;
                        }
                        Cell::Time(t) => {
                            let local = zone.datetime(*t).naive_local().and_utc().timestamp();
                            let dt = ExcelDateTime::from_timestamp(local)?;
                            ws.write_datetime_with_format(*row, c, dt, date)?;
                        }
                        Cell::Empty => {}
                    }
                }
                *row += 1;
            }
        }
        Ok(())
    }

    /// Writes the totals rows, closes the file, and returns how many transactions it lists.
    pub fn finish(mut self) -> Result<u64, WriteError> {
        let totals = self.totals.clone();
        for (status, t) in totals.iter() {
            let cells = total_cells(
                self.kind,
                status.as_str(),
                t.count,
                (t.amount, t.fee, t.refunded),
            );
            self.write_cells(&cells)?;
        }
        match self.sink {
            Sink::Csv(mut out) => {
                out.flush()?;
                out.into_inner().map_err(|e| e.into_error())?.sync_all()?;
            }
            Sink::Xlsx(mut x) => x.workbook.save(&x.path)?,
        }
        Ok(self.rows)
    }
}

/// One CSV record per RFC 4180: fields separated by commas, quoted when they hold a comma, a
/// quote, CR or LF (quotes doubled), CRLF at the end.
fn write_csv_line<'a>(
    out: &mut impl Write,
    fields: impl Iterator<Item = std::borrow::Cow<'a, str>>,
) -> std::io::Result<()> {
    for (i, field) in fields.enumerate() {
        if i > 0 {
            out.write_all(b",")?;
        }
        if field.contains([',', '"', '\r', '\n']) {
            out.write_all(b"\"")?;
            out.write_all(field.replace('"', "\"\"").as_bytes())?;
            out.write_all(b"\"")?;
        } else {
            out.write_all(field.as_bytes())?;
        }
    }
    out.write_all(b"\r\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_quotes_only_what_needs_quoting() {
        let mut out = Vec::new();
        write_csv_line(
            &mut out,
            ["a", "b,c", "say \"hi\"", "x\ny", ""]
                .into_iter()
                .map(std::borrow::Cow::Borrowed),
        )
        .unwrap();
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "a,\"b,c\",\"say \"\"hi\"\"\",\"x\ny\",\r\n"
        );
    }
}
