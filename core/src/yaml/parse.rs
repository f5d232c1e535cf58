//! Text to [`Node`] trees: drives `saphyr_parser`'s event stream, resolves scalars, expands
//! aliases and merge keys, rejects duplicate keys, and turns every failure into a [`LoadError`].

use crate::collections::OrdMap;
use crate::collections::OrdSet;

use saphyr_parser::{Event, Parser, ScalarStyle, ScanError, Span, Tag};

use super::error::LoadError;
use super::node::{Mark, Node, Value};
use super::scalar;

/// Deepest nesting of mappings and sequences accepted (aliases included).
pub const MAX_DEPTH: usize = 128;

/// Most nodes that alias expansion may copy in one call of [`parse_documents`] (each alias costs
/// the size of the node it names, and each anchored node costs its size once); guards against
/// "billion laughs" input.
pub const ALIAS_BUDGET: usize = 250_000;

/// Parse a (possibly multi-document, `---`-separated) YAML text into one node per document.
///
/// Empty documents (nothing but comments, or an explicit `null`) are skipped. Errors carry the
/// parser's position and say what was expected; see the module docs for the rules.
pub fn parse_documents(file: &str, text: &str) -> Result<Vec<Node>, LoadError> {
    if let Some((mark, c)) = first_unprintable(text) {
        return Err(LoadError::new(
            file,
            mark,
            format!(
                "invalid character U+{:04X}: YAML text may not contain control characters (is \
                 this a binary file?)",
                u32::from(c)
            ),
        ));
    }
    let mut b = Builder {
        file,
        stack: Vec::new(),
        anchors: OrdMap::new(),
        copied: 0,
        root: None,
        docs: Vec::new(),
    };
    let mut parser = Parser::new_from_str(text);
    while let Some(next) = parser.next_event() {
        let (event, span) = match next {
            Ok(x) => x,
            Err(e) => return Err(b.scan_error(text, &e)),
        };
        if b.event(event, span)? {
            break;
        }
    }
    b.finish_document();
    Ok(b.docs)
}

fn mark_of(m: &saphyr_parser::Marker) -> Mark {
    let clamp = |v: usize| u32::try_from(v).unwrap_or(u32::MAX);
    Mark {
        line: clamp(m.line()).max(1),
        column: clamp(m.col()).saturating_add(1),
    }
}

/// A node that an anchor names, with what copying it costs.
struct Anchored {
    node: Node,
    size: usize,
    height: usize,
}

enum Kind {
    Seq(Vec<Node>),
    Map {
        entries: Vec<(Node, Node)>,
        key: Option<Node>,
    },
}

/// A collection being built.
struct Frame {
    mark: Mark,
    /// Char index where the start event's span ends (after `[`/`{` for flow collections).
    end_index: usize,
    anchor: usize,
    kind: Kind,
    /// Nodes in the subtree so far (itself included).
    size: usize,
    /// Levels of collections in the subtree (1 for an empty collection).
    height: usize,
}

struct Builder<'f> {
    file: &'f str,
    stack: Vec<Frame>,
    anchors: OrdMap<usize, Anchored>,
    copied: usize,
    root: Option<Node>,
    docs: Vec<Node>,
}

impl Builder<'_> {
    fn err(&self, mark: Mark, message: impl Into<String>) -> LoadError {
        LoadError::new(self.file, mark, message)
    }

    /// Handle one event; `Ok(true)` at the end of the stream.
    fn event(&mut self, event: Event<'_>, span: Span) -> Result<bool, LoadError> {
        let mark = mark_of(&span.start);
        match event {
            Event::Nothing | Event::StreamStart => {}
            Event::StreamEnd => return Ok(true),
            Event::DocumentStart(_) => {
                self.finish_document();
                self.anchors.clear();
            }
            Event::DocumentEnd => self.finish_document(),
            Event::Alias(id) => self.alias(id, mark)?,
            Event::Scalar(text, style, anchor, tag) => {
                let value = self.scalar(&text, style, tag.as_deref(), mark)?;
                self.add(Node { mark, value }, anchor, 1, 0)?;
            }
            Event::SequenceStart(anchor, _) => {
                self.open(mark, span, anchor, Kind::Seq(Vec::new()))?
            }
            Event::MappingStart(anchor, _) => self.open(
                mark,
                span,
                anchor,
                Kind::Map {
                    entries: Vec::new(),
                    key: None,
                },
            )?,
            Event::SequenceEnd | Event::MappingEnd => self.close()?,
        }
        Ok(false)
    }

    fn finish_document(&mut self) {
        if let Some(root) = self.root.take() {
            if root.value != Value::Null {
                self.docs.push(root);
            }
        }
    }

    fn scalar(
        &self,
        text: &str,
        style: ScalarStyle,
        tag: Option<&Tag>,
        mark: Mark,
    ) -> Result<Value, LoadError> {
        if let Some(tag) = tag {
            let suffix = if tag.handle == "tag:yaml.org,2002:" {
                Some(tag.suffix.as_str())
            } else if (tag.handle.is_empty() && tag.suffix == "!")
                || (tag.handle == "!" && tag.suffix.is_empty())
            {
                // The non-specific tag `!`: a string.
                Some("str")
            } else if tag.handle.is_empty() {
                tag.suffix.strip_prefix("tag:yaml.org,2002:")
            } else {
                None
            };
            if let Some(suffix) = suffix {
                return scalar::resolve_tagged(text, suffix).map_err(|m| self.err(mark, m));
            }
            // Application tags (`!foo`) are ignored: the scalar is typed as if untagged.
        }
        Ok(match style {
            ScalarStyle::Plain => scalar::resolve_plain(text),
            _ => Value::Str {
                text: text.to_string(),
                plain: false,
            },
        })
    }

    fn open(&mut self, mark: Mark, span: Span, anchor: usize, kind: Kind) -> Result<(), LoadError> {
        if self.stack.len() >= MAX_DEPTH {
            return Err(self.err(
                mark,
                format!("nesting too deep: expected at most {MAX_DEPTH} levels of mappings and sequences"),
            ));
        }
        self.stack.push(Frame {
            mark,
            end_index: span.end.index(),
            anchor,
            kind,
            size: 1,
            height: 1,
        });
        Ok(())
    }

    fn close(&mut self) -> Result<(), LoadError> {
        let Some(frame) = self.stack.pop() else {
            return Ok(());
        };
        let value = match frame.kind {
            Kind::Seq(items) => Value::Seq(items),
            Kind::Map { entries, key } => {
                if let Some(key) = key {
                    // Not produced by the parser (a key always gets a value), but be total.
                    return Err(self.err(key.mark, "expected a value for this key"));
                }
                Value::Map(self.finish_map(entries)?)
            }
        };
        let node = Node {
            mark: frame.mark,
            value,
        };
        self.add(node, frame.anchor, frame.size, frame.height)
    }

    /// Count `n` copied nodes against [`ALIAS_BUDGET`].
    fn charge(&mut self, n: usize, mark: Mark) -> Result<(), LoadError> {
        self.copied = self.copied.saturating_add(n);
        if self.copied > ALIAS_BUDGET {
            return Err(self.err(
                mark,
                format!(
                    "aliases expand to too many nodes (more than {ALIAS_BUDGET}); expected \
                     anchors and aliases to be used for small repeated parts"
                ),
            ));
        }
        Ok(())
    }

    fn alias(&mut self, id: usize, mark: Mark) -> Result<(), LoadError> {
        let Some(a) = self.anchors.get(&id) else {
            let message = if self.stack.iter().any(|f| f.anchor == id) {
                "alias refers to the node that contains it (a recursive structure); expected an \
                 anchor defined before this node"
            } else {
                "alias refers to an anchor of an earlier document; expected an anchor defined \
                 earlier in this document"
            };
            return Err(self.err(mark, message));
        };
        let (size, height) = (a.size, a.height);
        if self.stack.len() + height > MAX_DEPTH {
            return Err(self.err(
                mark,
                format!("nesting too deep once this alias is expanded: expected at most {MAX_DEPTH} levels of mappings and sequences"),
            ));
        }
        self.charge(size, mark)?;
        let value = self
            .anchors
            .get(&id)
            .map(|a| a.node.value.clone())
            .unwrap_or(Value::Null);
        self.add(Node { mark, value }, 0, size, height)
    }

    fn add(
        &mut self,
        node: Node,
        anchor: usize,
        size: usize,
        height: usize,
    ) -> Result<(), LoadError> {
        if anchor != 0 {
            self.charge(size, node.mark)?;
            self.anchors.insert(
                anchor,
                Anchored {
                    node: node.clone(),
                    size,
                    height,
                },
            );
        }
        match self.stack.last_mut() {
            None => self.root = Some(node),
            Some(frame) => {
                frame.size = frame.size.saturating_add(size);
                frame.height = frame.height.max(height + 1);
                match &mut frame.kind {
                    Kind::Seq(items) => items.push(node),
                    Kind::Map { entries, key } => match key.take() {
                        None => *key = Some(node),
                        Some(k) => entries.push((k, node)),
                    },
                }
            }
        }
        Ok(())
    }

    /// Reject duplicate keys and apply merge keys (`<<: *base` or `<<: [*a, *b]`): merged
    /// entries go where the `<<` key stood, unless the mapping itself (or an earlier merge source)
    /// already has that key.
    fn finish_map(&self, entries: Vec<(Node, Node)>) -> Result<Vec<(Node, Node)>, LoadError> {
        let mut seen: OrdMap<String, Mark> = OrdMap::new();
        let mut merges = false;
        for (k, _) in &entries {
            if is_merge_key(k) {
                merges = true;
                continue;
            }
            let text = k.key_text();
            if let Some(first) = seen.get(&text) {
                return Err(self.err(
                    k.mark,
                    format!(
                        "duplicate key `{text}`, first defined at line {}",
                        first.line
                    ),
                ));
            }
            seen.insert(text, k.mark);
        }
        if !merges {
            return Ok(entries);
        }
        let mut merged: OrdSet<String> = OrdSet::new();
        let mut out = Vec::with_capacity(entries.len());
        for (k, v) in entries {
            if !is_merge_key(&k) {
                out.push((k, v));
                continue;
            }
            let sources = match v.value {
                Value::Map(m) => vec![m],
                Value::Seq(items) => {
                    let mut maps = Vec::with_capacity(items.len());
                    for item in items {
                        match item.value {
                            Value::Map(m) => maps.push(m),
                            _ => {
                                return Err(self.err(
                                    item.mark,
                                    format!(
                                        "merge key `<<` expects a list of mappings, found {} in it",
                                        item.kind_name()
                                    ),
                                ))
                            }
                        }
                    }
                    maps
                }
                _ => {
                    return Err(self.err(
                        v.mark,
                        format!(
                            "merge key `<<` expects a mapping or a list of mappings, found {}",
                            v.kind_name()
                        ),
                    ))
                }
            };
            for (mk, mv) in sources.into_iter().flatten() {
                let text = mk.key_text();
                if seen.contains_key(&text) || merged.contains(&text) {
                    continue;
                }
                merged.insert(text);
                out.push((mk, mv));
            }
        }
        Ok(out)
    }

    /// A located, human message for a syntax error.
    fn scan_error(&self, text: &str, e: &ScanError) -> LoadError {
        let info = e.info();
        let mut mark = mark_of(e.marker());
        let about_tabs = info
            .split(|c: char| !c.is_ascii_alphabetic())
            .any(|w| w == "tab" || w == "tabs");
        let mut message = if about_tabs {
            if let Some(tab) = first_tab_from_line(text, mark.line) {
                mark = tab;
            }
            format!(
                "invalid YAML: tab character where indentation or a value is expected; YAML \
                 indents with spaces only ({info})"
            )
        } else {
            let human = match info {
                "while scanning a quoted scalar, found unexpected end of stream" => {
                    "unclosed quoted string: expected a closing quote before the end of the file"
                        .to_string()
                }
                "invalid indentation in quoted scalar" => {
                    "quoted string continues on a line that is not indented: expected the closing \
                     quote (unclosed quote?)"
                        .to_string()
                }
                "mapping values are not allowed in this context" => {
                    "unexpected `:`: mapping values are not allowed here (check the indentation, \
                     or quote a value that contains `: `)"
                        .to_string()
                }
                "while parsing node, found unknown anchor" => {
                    "alias refers to an unknown anchor: expected an `&anchor` defined earlier in \
                     this document"
                        .to_string()
                }
                // The scanner's own limit (255 open flow collections), hit while it reads ahead.
                "recursion limit exceeded" => format!(
                    "nesting too deep: expected at most {MAX_DEPTH} levels of mappings and sequences"
                ),
                _ if info.starts_with("while parsing a block") && info.contains("did not find expected") => {
                    format!("bad indentation: {info}")
                }
                _ => info.to_string(),
            };
            if human.starts_with("nesting too deep") {
                human
            } else {
                format!("invalid YAML: {human}")
            }
        };
        if let Some(frame) = self.stack.last() {
            if let Some(open) = flow_opener(text, frame.end_index) {
                let what = if open == '[' { "sequence" } else { "mapping" };
                message.push_str(&format!(
                    " (in the flow {what} `{open}` opened at line {} column {})",
                    frame.mark.line, frame.mark.column
                ));
            }
        }
        LoadError::new(self.file, mark, message)
    }
}

fn is_merge_key(k: &Node) -> bool {
    matches!(&k.value, Value::Str { text, plain: true } if text == "<<")
}

/// `[` or `{` when the character just before char index `end` is one (a flow collection's start).
fn flow_opener(text: &str, end: usize) -> Option<char> {
    let c = text.chars().nth(end.checked_sub(1)?)?;
    matches!(c, '[' | '{').then_some(c)
}

/// YAML's `c-printable` (YAML 1.2 §5.1): tab, line feed, carriage return, U+0020..U+007E,
/// U+0085, U+00A0..U+D7FF, U+E000..U+FFFD and U+10000 and above. The parser reads a NUL as the
/// end of the input, so every other character is rejected before parsing, at its position.
fn first_unprintable(text: &str) -> Option<(Mark, char)> {
    let printable = |c: char| {
        matches!(c, '\t' | '\n' | '\r' | ' '..='~' | '\u{85}' | '\u{A0}'..='\u{D7FF}')
            || matches!(c, '\u{E000}'..='\u{FFFD}' | '\u{10000}'..)
    };
    let mut cur = Mark::new(1, 1);
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        if !printable(c) {
            return Some((cur, c));
        }
        let newline = c == '\n' || (c == '\r' && chars.peek() != Some(&'\n'));
        if newline {
            cur = Mark::new(cur.line.saturating_add(1), 1);
        } else {
            cur.column = cur.column.saturating_add(1);
        }
    }
    None
}

/// Position of the first tab on line `line` or after it.
fn first_tab_from_line(text: &str, line: u32) -> Option<Mark> {
    let mut cur = Mark::new(1, 1);
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '\t' && cur.line >= line {
            return Some(cur);
        }
        let newline = c == '\n' || (c == '\r' && chars.peek() != Some(&'\n'));
        if newline {
            cur = Mark::new(cur.line.saturating_add(1), 1);
        } else {
            cur.column = cur.column.saturating_add(1);
        }
    }
    None
}
