//! Tables of features: a CSV file (plain or gzipped) with a header row, one row per sample
//! and a column holding each sample's class, for the MLP to learn; no Bevy.

use anyhow::{Context, Result, bail};
use std::io::Read;
use std::path::Path;

use super::first_repeat;
use super::progress::{Progress, counted_stream};
use crate::files::{human_bytes, open_for_reading};

/// Largest table read, after decompression: a billion bytes hold Fashion-MNIST six times over.
pub const MAX_TABLE_BYTES: u64 = 1 << 30;

/// Most feature columns a table may have: the MLP's input is at most 1024 wide.
pub const MAX_FEATURES: usize = 1024;

/// Most classes a label column may name; more usually means the wrong column was named.
pub const MAX_CLASSES: usize = 1000;

/// Samples with numeric features: `values[row * features.len() + column]`, and `labels[row]`
/// indexing `classes`.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct FeatureTable {
    /// The feature columns' names, in the file's order (the label column left out).
    pub features: Vec<String>,
    pub classes: Vec<String>,
    pub values: Vec<f32>,
    pub labels: Vec<u16>,
}

impl FeatureTable {
    pub fn len(&self) -> usize {
        self.labels.len()
    }

    pub fn is_empty(&self) -> bool {
        self.labels.is_empty()
    }

    /// How many samples each class has, in class order.
    pub fn class_counts(&self) -> Vec<usize> {
        super::count_labels(&self.labels, self.classes.len())
    }

    /// The features of sample `row`.
    pub fn row(&self, row: usize) -> &[f32] {
        let width = self.features.len();
        &self.values[row * width..(row + 1) * width]
    }

    /// The samples whose indices are listed, in that order.
    pub fn subset(&self, indices: &[usize]) -> FeatureTable {
        FeatureTable {
            features: self.features.clone(),
            classes: self.classes.clone(),
            values: indices
                .iter()
                .flat_map(|&k| self.row(k).iter().copied())
                .collect(),
            labels: indices.iter().map(|&k| self.labels[k]).collect(),
        }
    }

    /// This table with its columns put in the order of `features` and its labels renumbered
    /// into `classes` (both matched by name), so a test table read on its own lines up with
    /// the training table. Fails naming a missing or extra column or an unknown class.
    pub fn aligned_to(self, features: &[String], classes: &[String], what: &str) -> Result<Self> {
        let position = |name: &String| self.features.iter().position(|f| f == name);
        if let Some(missing) = features.iter().find(|f| position(f).is_none()) {
            bail!("{what}: no column `{missing}`, which the training table has");
        }
        if let Some(extra) = self.features.iter().find(|f| !features.contains(f)) {
            bail!("{what}: column `{extra}` is not in the training table");
        }
        let order: Vec<usize> = features.iter().filter_map(position).collect();
        let mut mapping = Vec::with_capacity(self.classes.len());
        for name in &self.classes {
            match classes.iter().position(|c| c == name) {
                Some(index) => mapping.push(index as u16),
                None => bail!(
                    "{what}: class `{name}` is not one of the trained classes ({})",
                    classes.join(", ")
                ),
            }
        }
        let values = (0..self.len())
            .flat_map(|row| order.iter().map(move |&k| (row, k)))
            .map(|(row, k)| self.values[row * self.features.len() + k])
            .collect();
        let labels = self.labels.iter().map(|&l| mapping[l as usize]).collect();
        Ok(FeatureTable {
            features: features.to_vec(),
            classes: classes.to_vec(),
            values,
            labels,
        })
    }

    /// Each column's mean and standard deviation over the samples (a constant column's
    /// deviation is taken as 1, so standardising leaves it at 0).
    pub fn column_statistics(&self) -> (Vec<f32>, Vec<f32>) {
        let width = self.features.len();
        let n = self.len().max(1) as f64;
        let mut sums = vec![0.0f64; width];
        let mut squares = vec![0.0f64; width];
        for row in 0..self.len() {
            for (k, &x) in self.row(row).iter().enumerate() {
                sums[k] += x as f64;
            }
        }
        let means: Vec<f64> = sums.iter().map(|s| s / n).collect();
        for row in 0..self.len() {
            for (k, &x) in self.row(row).iter().enumerate() {
                squares[k] += (x as f64 - means[k]).powi(2);
            }
        }
        let deviations = squares
            .iter()
            .map(|&q| match (q / n).sqrt() {
                d if d > 1e-12 => d as f32,
                _ => 1.0,
            })
            .collect();
        (means.iter().map(|&m| m as f32).collect(), deviations)
    }

    /// Every value standardised by its column's `means` and `deviations`.
    pub fn standardised(&self, means: &[f32], deviations: &[f32]) -> Vec<f32> {
        let width = self.features.len().max(1);
        self.values
            .iter()
            .enumerate()
            .map(|(k, &x)| (x - means[k % width]) / deviations[k % width])
            .collect()
    }
}

/// Whether `path` names a table of features (`.csv`, `.tsv`, or either gzipped).
pub fn is_table_path(path: &Path) -> bool {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().to_ascii_lowercase())
        .unwrap_or_default();
    let name = name.strip_suffix(".gz").unwrap_or(&name);
    name.ends_with(".csv") || name.ends_with(".tsv")
}

/// Reads the table at `path`, the class of each row in column `label`; the bytes read are
/// counted into `progress`, which can also stop the read. Every problem names the file, and
/// the line and column where there is one.
pub fn read_table(path: &Path, label: &str, progress: &Progress) -> Result<FeatureTable> {
    let (name, mut reader, header) = open_table(path, progress)?;
    let label_column = check_header(&name, &header, label)?;
    let features: Vec<String> = header
        .iter()
        .enumerate()
        .filter(|&(k, _)| k != label_column)
        .map(|(_, f)| f.clone())
        .collect();
    let mut names: Vec<String> = Vec::new();
    let mut raw_labels: Vec<u32> = Vec::new();
    let mut values = Vec::new();
    let mut record = csv::StringRecord::new();
    while reader
        .read_record(&mut record)
        .map_err(|e| row_error(&name, e))?
    {
        let line = record.position().map_or(0, |p| p.line());
        for (k, cell) in record.iter().enumerate() {
            if k == label_column {
                raw_labels.push(class_index(&name, line, label, cell, &mut names)?);
            } else {
                values.push(number(&name, line, &header[k], cell)?);
            }
        }
    }
    if raw_labels.is_empty() {
        bail!("{name}: a header and no rows of samples");
    }
    let (classes, labels) = sorted_classes(names, &raw_labels);
    Ok(FeatureTable {
        features,
        classes,
        values,
        labels,
    })
}

/// A reader over the table at `path` (its separator sniffed), with the file's name and its
/// header row's names.
fn open_table(
    path: &Path,
    progress: &Progress,
) -> Result<(String, csv::Reader<std::io::Cursor<Vec<u8>>>, Vec<String>)> {
    let name = path.display().to_string();
    let bytes = read_decompressed(path, progress)?;
    let mut reader = csv::ReaderBuilder::new()
        .delimiter(sniff_delimiter(&bytes))
        .trim(csv::Trim::All)
        .from_reader(std::io::Cursor::new(bytes));
    let header: Vec<String> = reader
        .headers()
        .map_err(|e| row_error(&name, e))?
        .iter()
        .map(str::to_string)
        .collect();
    Ok((name, reader, header))
}

/// The file's bytes, gunzipped if they are gzip, refusing more than [`MAX_TABLE_BYTES`].
fn read_decompressed(path: &Path, progress: &Progress) -> Result<Vec<u8>> {
    let name = path.display();
    let file = open_for_reading(path).with_context(|| format!("{name}: cannot read"))?;
    let meta = file
        .metadata()
        .with_context(|| format!("{name}: cannot read"))?;
    if meta.is_dir() {
        bail!("{name}: is a folder, not a CSV table");
    }
    if !meta.is_file() {
        bail!("{name}: not a regular file (a CSV table is read from a file)");
    }
    progress.add_total(meta.len());
    let (stream, _) =
        counted_stream(file, progress).with_context(|| format!("{name}: cannot read"))?;
    let mut bytes = Vec::new();
    stream
        .take(MAX_TABLE_BYTES + 1)
        .read_to_end(&mut bytes)
        .with_context(|| format!("{name}: cannot read"))?;
    progress.check(&name.to_string())?;
    if bytes.len() as u64 > MAX_TABLE_BYTES {
        bail!(
            "{name}: more than {} of table, the most mark1 reads",
            human_bytes(MAX_TABLE_BYTES)
        );
    }
    if bytes.iter().all(u8::is_ascii_whitespace) {
        bail!("{name}: empty: a CSV table starts with a header row naming its columns");
    }
    Ok(bytes)
}

/// The separator the header row uses most of: comma, tab or semicolon.
fn sniff_delimiter(bytes: &[u8]) -> u8 {
    let header = bytes.split(|&b| b == b'\n').next().unwrap_or_default();
    let count = |sep: u8| header.iter().filter(|&&b| b == sep).count();
    [b',', b'\t', b';']
        .into_iter()
        .max_by_key(|&sep| (count(sep), sep == b','))
        .unwrap_or(b',')
}

/// The rows of the table at `path` as a trained network reads them: the values of its
/// `features` columns, in that order, whatever other columns the table has (its classes, an
/// id) and in whatever order; and each row's line in the file.
pub fn read_rows(
    path: &Path,
    features: &[String],
    progress: &Progress,
) -> Result<(Vec<f32>, Vec<u64>)> {
    let (name, mut reader, header) = open_table(path, progress)?;
    check_names(&name, &header)?;
    let mut columns = Vec::with_capacity(features.len());
    for feature in features {
        match header.iter().position(|h| h == feature) {
            Some(k) => columns.push(k),
            None => bail!("{name}:1: no column `{feature}`, which the network reads"),
        }
    }
    let (mut values, mut lines) = (Vec::new(), Vec::new());
    let mut record = csv::StringRecord::new();
    while reader
        .read_record(&mut record)
        .map_err(|e| row_error(&name, e))?
    {
        let line = record.position().map_or(0, |p| p.line());
        for &k in &columns {
            values.push(number(&name, line, &header[k], &record[k])?);
        }
        lines.push(line);
    }
    if lines.is_empty() {
        bail!("{name}: a header and no rows of samples");
    }
    Ok((values, lines))
}

/// Every column has a name, and no name is used twice.
fn check_names(name: &str, header: &[String]) -> Result<()> {
    if let Some(blank) = header.iter().position(String::is_empty) {
        bail!("{name}:1: column {} has no name", blank + 1);
    }
    if let Some((first, second)) = first_repeat(header) {
        bail!(
            "{name}:1: column `{}` appears twice (columns {} and {})",
            header[first],
            first + 1,
            second + 1
        );
    }
    Ok(())
}

/// Checks the header's names and returns the label column's index.
fn check_header(name: &str, header: &[String], label: &str) -> Result<usize> {
    check_names(name, header)?;
    let Some(label_column) = header.iter().position(|h| h == label) else {
        let shown: Vec<&str> = header.iter().take(12).map(String::as_str).collect();
        let more = if header.len() > 12 { ", ..." } else { "" };
        bail!(
            "{name}:1: no column `{label}` to take the classes from (columns: {}{more})",
            shown.join(", ")
        );
    };
    let features = header.len() - 1;
    if features == 0 {
        bail!("{name}:1: no feature columns beside `{label}`");
    }
    if features > MAX_FEATURES {
        bail!("{name}:1: {features} feature columns, more than the {MAX_FEATURES} the MLP takes");
    }
    Ok(label_column)
}

/// A cell's number: finite, or an error naming its line and column.
fn number(name: &str, line: u64, column: &str, cell: &str) -> Result<f32> {
    if cell.is_empty() {
        bail!(
            "{name}:{line}: column `{column}` is empty (missing values are not filled in: fill or drop the row)"
        );
    }
    match cell.parse::<f32>() {
        Ok(x) if x.is_finite() => Ok(x),
        Ok(_) => bail!("{name}:{line}: column `{column}`: `{cell}` is not a finite number"),
        Err(_) => bail!("{name}:{line}: column `{column}`: `{cell}` is not a number"),
    }
}

/// The index of the class `cell` names among those seen so far, adding it if it is new.
fn class_index(
    name: &str,
    line: u64,
    label: &str,
    cell: &str,
    names: &mut Vec<String>,
) -> Result<u32> {
    if cell.is_empty() {
        bail!("{name}:{line}: column `{label}` is empty: every row needs its class");
    }
    if let Some(k) = names.iter().rposition(|n| n == cell) {
        return Ok(k as u32);
    }
    if names.len() == MAX_CLASSES {
        bail!(
            "{name}:{line}: column `{label}` names more than {MAX_CLASSES} classes: is it the column of classes?"
        );
    }
    names.push(cell.to_string());
    Ok(names.len() as u32 - 1)
}

/// The classes in order (by number when every name is a number, else alphabetically), and
/// each row's label renumbered into that order.
fn sorted_classes(names: Vec<String>, raw_labels: &[u32]) -> (Vec<String>, Vec<u16>) {
    let mut order: Vec<usize> = (0..names.len()).collect();
    let numeric: Option<Vec<f64>> = names.iter().map(|n| n.parse::<f64>().ok()).collect();
    match numeric {
        Some(numbers) => order.sort_by(|&a, &b| numbers[a].total_cmp(&numbers[b])),
        None => order.sort_by(|&a, &b| names[a].cmp(&names[b])),
    }
    let mut rank = vec![0u16; names.len()];
    for (position, &k) in order.iter().enumerate() {
        rank[k] = position as u16;
    }
    let classes = order.iter().map(|&k| names[k].clone()).collect();
    let labels = raw_labels.iter().map(|&l| rank[l as usize]).collect();
    (classes, labels)
}

/// A CSV reader's error as one line naming the file and line.
fn row_error(name: &str, error: csv::Error) -> anyhow::Error {
    let line = error.position().map_or(0, |p| p.line());
    match error.kind() {
        csv::ErrorKind::UnequalLengths {
            expected_len, len, ..
        } => anyhow::anyhow!("{name}:{line}: {len} fields where the header has {expected_len}"),
        csv::ErrorKind::Utf8 { .. } => anyhow::anyhow!("{name}:{line}: not UTF-8 text"),
        _ => anyhow::anyhow!("{name}:{line}: {error}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn table_from(text: &[u8], label: &str) -> Result<FeatureTable> {
        let dir = std::env::temp_dir().join(format!("mark1-table-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join(format!("t{}.csv", text.len()));
        std::fs::write(&path, text).unwrap();
        let table = read_table(&path, label, &Progress::default());
        let _ = std::fs::remove_file(&path);
        table.map_err(|e| anyhow::anyhow!("{}", e.to_string().replace(&*dir.to_string_lossy(), "")))
    }

    #[test]
    fn a_table_reads_its_features_and_classes_in_order() {
        let table = table_from(b"x, y ,kind\n1,2,b\n3.5,-4e1,a\n5,6,b\n", "kind").unwrap();
        assert_eq!(table.features, ["x", "y"]);
        assert_eq!(table.classes, ["a", "b"]);
        assert_eq!(table.labels, [1, 0, 1]);
        assert_eq!(table.values, [1.0, 2.0, 3.5, -40.0, 5.0, 6.0]);
        // numeric classes sort as numbers, the label column anywhere, tabs sniffed
        let table = table_from(b"digit\tp\n10\t0.5\n9\t1\n2\t0\n", "digit").unwrap();
        assert_eq!(table.classes, ["2", "9", "10"]);
        assert_eq!(table.labels, [2, 1, 0]);
        assert_eq!(table.values, [0.5, 1.0, 0.0]);
    }

    #[test]
    fn rows_for_a_network_are_read_by_column_name_without_a_class() {
        let dir = std::env::temp_dir().join(format!("mark1-rows-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("rows.csv");
        let read = |text: &str| {
            std::fs::write(&path, text).unwrap();
            let wanted = ["x".to_string(), "y".to_string()];
            read_rows(&path, &wanted, &Progress::default()).map_err(|e| e.to_string())
        };
        // other columns are ignored, the network's are put in its order
        let (values, lines) = read("id,y,x\na,2,1\nb,4,3\n").unwrap();
        assert_eq!((values, lines), (vec![1.0, 2.0, 3.0, 4.0], vec![2, 3]));
        let missing = read("id,x\na,1\n").unwrap_err();
        assert!(missing.ends_with("rows.csv:1: no column `y`, which the network reads"));
        let word = read("x,y\n1,oops\n").unwrap_err();
        assert!(
            word.ends_with("rows.csv:2: column `y`: `oops` is not a number"),
            "{word}"
        );
        assert!(
            read("x,y,x\n1,2,3\n")
                .unwrap_err()
                .contains("appears twice")
        );
        assert!(read("x,y\n").unwrap_err().contains("no rows"));
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn hostile_tables_are_refused_with_their_line_and_column() {
        let cases: [(&[u8], &str); 11] = [
            (b"", "empty"),
            (b"a,b\n1,x\n", "no column `label`"),
            (b"a,label\n", "no rows"),
            (b"a,label\n1,x\n2\n", ":3: 1 fields where the header has 2"),
            (
                b"a,label\n1,x\nfoo,y\n",
                ":3: column `a`: `foo` is not a number",
            ),
            (
                b"a,label\n1e999,x\n",
                ":2: column `a`: `1e999` is not a finite number",
            ),
            (b"a,label\nNaN,x\n", "`NaN` is not a finite number"),
            (b"a,label\n,x\n", ":2: column `a` is empty"),
            (b"a,label\n1,\n", ":2: column `label` is empty"),
            (
                b"a,a,label\n1,2,x\n",
                "column `a` appears twice (columns 1 and 2)",
            ),
            (b"a,label\n\xff,x\n", "not UTF-8"),
        ];
        for (text, expected) in cases {
            let message = table_from(text, "label").unwrap_err().to_string();
            assert!(message.contains(expected), "{message:?} lacks {expected:?}");
        }
        let only_label = table_from(b"label\nx\n", "label").unwrap_err().to_string();
        assert!(only_label.contains("no feature columns"), "{only_label}");
        let mut wide = (0..=MAX_FEATURES)
            .map(|k| format!("f{k}"))
            .collect::<Vec<_>>();
        wide.push("label".into());
        let wide = table_from(format!("{}\n", wide.join(",")).as_bytes(), "label");
        assert!(
            wide.unwrap_err()
                .to_string()
                .contains("1025 feature columns")
        );
        let mut many = String::from("a,label\n");
        for k in 0..=MAX_CLASSES {
            many.push_str(&format!("1,{k}.5\n"));
        }
        let many = table_from(many.as_bytes(), "label")
            .unwrap_err()
            .to_string();
        assert!(many.contains("more than 1000 classes"), "{many}");
    }

    #[test]
    fn a_gzipped_table_reads_as_the_plain_one_and_a_folder_is_refused() {
        use flate2::{Compression, write::GzEncoder};
        use std::io::Write;
        let text = b"a,b,label\n1,2,x\n3,4,y\n";
        let mut zipped = GzEncoder::new(Vec::new(), Compression::fast());
        zipped.write_all(text).unwrap();
        let zipped = zipped.finish().unwrap();
        assert_eq!(
            table_from(&zipped, "label").unwrap(),
            table_from(text, "label").unwrap()
        );
        let folder = read_table(&std::env::temp_dir(), "label", &Progress::default());
        assert!(folder.unwrap_err().to_string().contains("is a folder"));
    }

    #[test]
    fn aligning_reorders_columns_and_renumbers_classes_by_name() {
        let test = table_from(b"b,a,label\n2,1,y\n4,3,x\n", "label").unwrap();
        let names = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        let aligned = test
            .clone()
            .aligned_to(&names(&["a", "b"]), &names(&["y", "x", "z"]), "t")
            .unwrap();
        assert_eq!(aligned.values, [1.0, 2.0, 3.0, 4.0]);
        assert_eq!(aligned.labels, [0, 1]);
        let missing = test
            .clone()
            .aligned_to(&names(&["a", "c"]), &names(&["x", "y"]), "t");
        assert!(missing.unwrap_err().to_string().contains("no column `c`"));
        let unknown = test.aligned_to(&names(&["a", "b"]), &names(&["x"]), "t");
        assert!(unknown.unwrap_err().to_string().contains("class `y`"));
    }

    #[test]
    fn standardising_gives_each_column_mean_zero_and_deviation_one() {
        let table = table_from(b"a,b,c,label\n1,10,7,x\n3,30,7,y\n", "label").unwrap();
        let (means, deviations) = table.column_statistics();
        assert_eq!(means, [2.0, 20.0, 7.0]);
        assert_eq!(deviations, [1.0, 10.0, 1.0]);
        let z = table.standardised(&means, &deviations);
        assert_eq!(z, [-1.0, -1.0, 0.0, 1.0, 1.0, 0.0]);
    }
}
