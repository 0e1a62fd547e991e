//! Limits on the shape of a GraphQL request, checked before async-graphql parses,
//! validates or executes it.
//!
//! Parsing, validation and execution all recurse over the document, and validation
//! expands fragment spreads before the complexity limit is looked at. So a few
//! kilobytes can overflow a stack (values nested 2,000 deep) or cost seconds of CPU
//! (fragments that each spread the previous one twice). Everything here is linear in
//! the size of the request and never expands a fragment: nesting is measured on the
//! raw text before parsing, and fragment costs are summed once per fragment.

use std::collections::{HashMap, HashSet};
use std::fmt;

use async_graphql::parser::types::{
    BaseType, ExecutableDocument, FragmentDefinition, OperationType, Selection, SelectionSet,
    TypeSystemDefinition,
};
use async_graphql::{BatchRequest, Name, Request};

/// The mutation whose count per request is limited: each one creates a case and may
/// email someone.
const SUBMISSION_FIELD: &str = "submitFeedback";

/// The limits, from `[graphql]` settings.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ShapeLimits {
    /// Deepest nesting of lists and input objects in arguments, variables and types.
    pub max_value_depth: usize,
    /// Deepest nesting of selection sets, counting each fragment spread as a level.
    pub max_selection_depth: usize,
    /// Fields a request selects, every fragment counted each time it is spread.
    pub max_fields: u64,
    pub max_aliases: u64,
    /// Fields at the root of one operation (queries or mutations run side by side).
    pub max_root_fields: u64,
    /// Operations in one JSON batch.
    pub max_batch: usize,
    /// `submitFeedback` fields in one request, batch included.
    pub max_submissions: u64,
}

/// Why a request was refused; the message says which limit and where.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ShapeError {
    /// The setting that bounds it, as named in `palaute.toml` (`graphql.<limit>`).
    pub limit: &'static str,
    pub message: String,
}

impl fmt::Display for ShapeError {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter.write_str(&self.message)
    }
}

impl std::error::Error for ShapeError {}

impl ShapeError {
    fn new(limit: &'static str, message: String) -> Self {
        Self { limit, message }
    }
}

/// The names of the schema's types. async-graphql panics while validating a variable
/// whose type the schema does not define, so such documents are refused here.
#[derive(Debug, Clone, Default)]
pub struct KnownTypes(HashSet<String>);

impl KnownTypes {
    /// Every type the SDL defines, and the built-in scalars.
    pub fn from_sdl(sdl: &str) -> Self {
        let mut names: HashSet<String> = ["Int", "Float", "String", "Boolean", "ID"]
            .into_iter()
            .map(str::to_owned)
            .collect();
        if let Ok(document) = async_graphql::parser::parse_schema(sdl) {
            names.extend(
                document
                    .definitions
                    .iter()
                    .filter_map(|definition| match definition {
                        TypeSystemDefinition::Type(definition) => {
                            Some(definition.node.name.node.to_string())
                        }
                        _ => None,
                    }),
            );
        }
        Self(names)
    }

    fn check(&self, document: &ExecutableDocument) -> Result<(), ShapeError> {
        for (_, operation) in document.operations.iter() {
            for variable in &operation.node.variable_definitions {
                let mut ty = &variable.node.var_type.node;
                // List types nest no deeper than the value limit checked on the text.
                let name = loop {
                    match &ty.base {
                        BaseType::Named(name) => break name,
                        BaseType::List(inner) => ty = inner,
                    }
                };
                if !self.0.contains(name.as_str()) {
                    return Err(ShapeError::new(
                        "types",
                        format!(
                            "variable ${} has the type {name}, which the schema does not define",
                            variable.node.name.node
                        ),
                    ));
                }
            }
        }
        Ok(())
    }
}

/// What the shape check learned about a whole request.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RequestShape {
    pub submissions: u64,
}

/// Checks every operation of `batch` and the batch as a whole. Operations that parse
/// are left parsed in their `Request`, so async-graphql does not parse them again;
/// operations that do not parse are left for async-graphql to report.
pub fn check_batch(
    batch: &mut BatchRequest,
    limits: &ShapeLimits,
    types: &KnownTypes,
) -> Result<RequestShape, ShapeError> {
    let requests: Vec<&mut Request> = batch.iter_mut().collect();
    if requests.len() > limits.max_batch {
        return Err(ShapeError::new(
            "max_batch",
            format!(
                "a batch holds {} operations; at most {} are accepted",
                requests.len(),
                limits.max_batch
            ),
        ));
    }
    let mut total = Totals::default();
    for request in requests {
        check_text_nesting(&request.query, limits)?;
        check_variables_depth(request, limits)?;
        let Ok(document) = request.parsed_query() else {
            continue;
        };
        types.check(document)?;
        total.add(&measure_document(document, limits)?);
    }
    total.check(limits)?;
    Ok(RequestShape {
        submissions: total.submissions,
    })
}

/// Measures nesting on the raw text, so that nothing deeper than the limits ever
/// reaches the recursive parser. Brackets inside parentheses (arguments, variable
/// types and defaults) are values; braces outside them are selection sets.
pub fn check_text_nesting(query: &str, limits: &ShapeLimits) -> Result<(), ShapeError> {
    #[derive(Clone, Copy, PartialEq)]
    enum Open {
        Arguments,
        Value,
        Selection,
    }
    let mut open: Vec<Open> = Vec::new();
    let (mut values, mut selections, mut arguments) = (0usize, 0usize, 0usize);
    let mut chars = query.char_indices().peekable();
    while let Some((at, character)) = chars.next() {
        match character {
            '#' => {
                // A comment runs to the end of the line.
                for (_, next) in chars.by_ref() {
                    if next == '\n' || next == '\r' {
                        break;
                    }
                }
            }
            '"' => skip_string(query, at, &mut chars),
            '(' => {
                arguments += 1;
                open.push(Open::Arguments);
            }
            '[' | '{' if arguments > 0 || character == '[' => {
                values += 1;
                open.push(Open::Value);
                if values > limits.max_value_depth {
                    return Err(ShapeError::new(
                        "max_value_depth",
                        format!(
                            "argument values nest deeper than {} levels (at {})",
                            limits.max_value_depth,
                            position(query, at)
                        ),
                    ));
                }
            }
            '{' => {
                selections += 1;
                open.push(Open::Selection);
                if selections > limits.max_selection_depth {
                    return Err(selection_too_deep(limits, &position(query, at)));
                }
            }
            ')' | ']' | '}' => match open.pop() {
                Some(Open::Arguments) => arguments -= 1,
                Some(Open::Value) => values -= 1,
                Some(Open::Selection) => selections -= 1,
                // Unbalanced: the parser will say so.
                None => {}
            },
            _ => {}
        }
    }
    Ok(())
}

fn selection_too_deep(limits: &ShapeLimits, place: &str) -> ShapeError {
    ShapeError::new(
        "max_selection_depth",
        format!(
            "selection sets nest deeper than {} levels, counting fragment spreads ({place})",
            limits.max_selection_depth
        ),
    )
}

/// Moves `chars` past the string that opens at byte `start` (`"…"` or `"""…"""`).
fn skip_string(
    query: &str,
    start: usize,
    chars: &mut std::iter::Peekable<std::str::CharIndices<'_>>,
) {
    if query.get(start..start + 3) == Some("\"\"\"") {
        chars.next();
        chars.next();
        while let Some((at, character)) = chars.next() {
            if character == '\\' && query.get(at + 1..at + 4) == Some("\"\"\"") {
                chars.next();
                chars.next();
                chars.next();
            } else if character == '"' && query.get(at..at + 3) == Some("\"\"\"") {
                chars.next();
                chars.next();
                return;
            }
        }
        return;
    }
    while let Some((_, character)) = chars.next() {
        match character {
            '\\' => {
                chars.next();
            }
            '"' | '\n' | '\r' => return,
            _ => {}
        }
    }
}

/// `line L, column C` of a byte offset, for messages.
fn position(query: &str, at: usize) -> String {
    let before = query.get(..at).unwrap_or(query);
    let line = before.matches('\n').count() + 1;
    let column = before
        .rsplit('\n')
        .next()
        .map_or(0, |line| line.chars().count())
        + 1;
    format!("line {line}, column {column}")
}

/// Variables arrive as JSON (serde_json already stops at 128 levels); the same value
/// limit applies to them as to values written in the query.
fn check_variables_depth(request: &Request, limits: &ShapeLimits) -> Result<(), ShapeError> {
    let mut pending: Vec<(&async_graphql::Value, usize)> =
        request.variables.values().map(|value| (value, 1)).collect();
    while let Some((value, depth)) = pending.pop() {
        if depth > limits.max_value_depth {
            return Err(ShapeError::new(
                "max_value_depth",
                format!(
                    "variables nest deeper than {} levels",
                    limits.max_value_depth
                ),
            ));
        }
        match value {
            async_graphql::Value::List(items) => {
                pending.extend(items.iter().map(|item| (item, depth + 1)));
            }
            async_graphql::Value::Object(fields) => {
                pending.extend(fields.values().map(|field| (field, depth + 1)));
            }
            _ => {}
        }
    }
    Ok(())
}

/// Sizes of a selection set with every spread fragment counted in full.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
struct Measure {
    fields: u64,
    aliases: u64,
    /// Fields at the top of the selection set (through inline fragments and spreads).
    root_fields: u64,
    /// `submitFeedback` fields at the top.
    root_submissions: u64,
    /// Selection sets and spreads nested inside one another.
    depth: usize,
}

impl Measure {
    /// `inner`, spread or nested inside this one: its top is at the top of this one
    /// only when `at_top`.
    fn absorb(&mut self, inner: &Measure, at_top: bool, depth_here: usize) {
        self.fields = self.fields.saturating_add(inner.fields);
        self.aliases = self.aliases.saturating_add(inner.aliases);
        if at_top {
            self.root_fields = self.root_fields.saturating_add(inner.root_fields);
            self.root_submissions = self.root_submissions.saturating_add(inner.root_submissions);
        }
        self.depth = self.depth.max(depth_here.saturating_add(inner.depth));
    }
}

/// A selection set measured without its spreads, and where its spreads are.
#[derive(Debug, Default)]
struct LocalMeasure {
    own: Measure,
    /// (fragment, at the top?, nesting at the spread)
    spreads: Vec<(Name, bool, usize)>,
}

impl LocalMeasure {
    /// The whole measure, given each spread fragment's (an unknown fragment adds
    /// nothing: validation reports it).
    fn with_spreads(&self, measured: impl Fn(&Name) -> Option<Measure>) -> Measure {
        let mut measure = self.own;
        for (target, at_top, depth) in &self.spreads {
            if let Some(inner) = measured(target) {
                measure.absorb(&inner, *at_top, *depth);
            }
        }
        measure
    }
}

fn measure_local(selection_set: &SelectionSet) -> LocalMeasure {
    let mut local = LocalMeasure::default();
    // The text nesting check bounds this recursion before the document was parsed.
    walk(selection_set, true, 1, &mut local);
    local
}

fn walk(selection_set: &SelectionSet, at_top: bool, depth: usize, local: &mut LocalMeasure) {
    local.own.depth = local.own.depth.max(depth);
    for selection in &selection_set.items {
        match &selection.node {
            Selection::Field(field) => {
                let field = &field.node;
                local.own.fields += 1;
                if field.alias.is_some() {
                    local.own.aliases += 1;
                }
                if at_top {
                    local.own.root_fields += 1;
                    if field.name.node.as_str() == SUBMISSION_FIELD {
                        local.own.root_submissions += 1;
                    }
                }
                if !field.selection_set.node.items.is_empty() {
                    walk(&field.selection_set.node, false, depth + 1, local);
                }
            }
            Selection::InlineFragment(inline) => {
                walk(&inline.node.selection_set.node, at_top, depth + 1, local);
            }
            Selection::FragmentSpread(spread) => {
                local
                    .spreads
                    .push((spread.node.fragment_name.node.clone(), at_top, depth));
            }
        }
    }
}

/// Measures every fragment once, in dependency order, with an explicit stack so that
/// a long chain of fragments cannot exhaust the call stack here either.
fn measure_fragments(
    fragments: &HashMap<Name, async_graphql::Positioned<FragmentDefinition>>,
    limits: &ShapeLimits,
) -> Result<HashMap<Name, Measure>, ShapeError> {
    let locals: HashMap<&Name, LocalMeasure> = fragments
        .iter()
        .map(|(name, fragment)| (name, measure_local(&fragment.node.selection_set.node)))
        .collect();
    let mut done: HashMap<&Name, Measure> = HashMap::with_capacity(locals.len());
    let mut on_stack: HashSet<&Name> = HashSet::new();
    for (start, start_local) in &locals {
        if done.contains_key(start) {
            continue;
        }
        // Each frame: a fragment and how many of its spreads have been looked at.
        let mut stack: Vec<(&Name, &LocalMeasure, usize)> = vec![(start, start_local, 0)];
        on_stack.insert(start);
        while let Some(frame) = stack.last_mut() {
            let (name, local, next) = *frame;
            if let Some((target, _, _)) = local.spreads.get(next) {
                frame.2 += 1;
                if done.contains_key(target) {
                    continue;
                }
                if on_stack.contains(target) {
                    return Err(ShapeError::new(
                        "max_selection_depth",
                        format!("fragment {target} spreads itself"),
                    ));
                }
                // A spread of an unknown fragment is left for validation to report.
                if let Some((target, target_local)) = locals.get_key_value(target) {
                    on_stack.insert(target);
                    stack.push((target, target_local, 0));
                }
                continue;
            }
            let measure = local.with_spreads(|target| done.get(target).copied());
            if measure.depth > limits.max_selection_depth {
                return Err(selection_too_deep(limits, &format!("in fragment {name}")));
            }
            done.insert(name, measure);
            on_stack.remove(name);
            stack.pop();
        }
    }
    Ok(done
        .into_iter()
        .map(|(name, measure)| (name.clone(), measure))
        .collect())
}

/// Sums every operation of a document, fragments counted where they are spread.
fn measure_document(
    document: &ExecutableDocument,
    limits: &ShapeLimits,
) -> Result<Totals, ShapeError> {
    let fragments = measure_fragments(&document.fragments, limits)?;
    let mut totals = Totals::default();
    for (_, operation) in document.operations.iter() {
        let local = measure_local(&operation.node.selection_set.node);
        let measure = local.with_spreads(|target| fragments.get(target).copied());
        if measure.depth > limits.max_selection_depth {
            return Err(selection_too_deep(limits, "in an operation"));
        }
        if measure.root_fields > limits.max_root_fields {
            return Err(ShapeError::new(
                "max_root_fields",
                format!(
                    "an operation asks for {} root fields; at most {} are accepted",
                    measure.root_fields, limits.max_root_fields
                ),
            ));
        }
        totals.fields = totals.fields.saturating_add(measure.fields);
        totals.aliases = totals.aliases.saturating_add(measure.aliases);
        if operation.node.ty == OperationType::Mutation {
            totals.submissions = totals.submissions.saturating_add(measure.root_submissions);
        }
    }
    Ok(totals)
}

/// What a whole request adds up to; a batch shares one budget.
#[derive(Debug, Default)]
struct Totals {
    fields: u64,
    aliases: u64,
    submissions: u64,
}

impl Totals {
    fn add(&mut self, other: &Totals) {
        self.fields = self.fields.saturating_add(other.fields);
        self.aliases = self.aliases.saturating_add(other.aliases);
        self.submissions = self.submissions.saturating_add(other.submissions);
    }

    fn check(&self, limits: &ShapeLimits) -> Result<(), ShapeError> {
        if self.fields > limits.max_fields {
            return Err(ShapeError::new(
                "max_fields",
                format!(
                    "the request selects {} fields (fragments counted where they are spread); at most {} are accepted",
                    self.fields, limits.max_fields
                ),
            ));
        }
        if self.aliases > limits.max_aliases {
            return Err(ShapeError::new(
                "max_aliases",
                format!(
                    "the request uses {} aliases; at most {} are accepted",
                    self.aliases, limits.max_aliases
                ),
            ));
        }
        if self.submissions > limits.max_submissions {
            return Err(ShapeError::new(
                "max_submissions",
                format!(
                    "a request may submit feedback {} time(s); this one tries {}",
                    limits.max_submissions, self.submissions
                ),
            ));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const LIMITS: ShapeLimits = ShapeLimits {
        max_value_depth: 32,
        max_selection_depth: 24,
        max_fields: 1_000,
        max_aliases: 30,
        max_root_fields: 20,
        max_batch: 10,
        max_submissions: 1,
    };

    fn types() -> KnownTypes {
        KnownTypes::from_sdl(&crate::schema_sdl())
    }

    fn check(query: &str) -> Result<RequestShape, ShapeError> {
        let mut batch = BatchRequest::Single(Request::new(query));
        check_batch(&mut batch, &LIMITS, &types())
    }

    #[test]
    fn variables_of_unknown_types_are_refused() {
        // async-graphql 7.2 panics validating this default value.
        assert_eq!(
            refused_by("query($x: [[[[I1e400nt]]]] = [[[[1]]]]) { __typename }"),
            "types"
        );
        assert!(
            check("query($x: [Language!] = [FI], $y: String) { units(lang: FI) { code } }").is_ok()
        );
        assert!(check("query($i: SubmitFeedbackInput) { __typename }").is_ok());
    }

    fn refused_by(query: &str) -> &'static str {
        check(query).expect_err("refused").limit
    }

    #[test]
    fn deeply_nested_values_are_refused_before_parsing() {
        let lists = format!(
            "{{ units(lang: {}FI{}) {{ code }} }}",
            "[".repeat(2_000),
            "]".repeat(2_000)
        );
        assert_eq!(refused_by(&lists), "max_value_depth");
        let objects = format!(
            "{{ cases(filter: {}) {{ totalCount }} }}",
            "{a:".repeat(2_000) + &"}".repeat(2_000)
        );
        assert_eq!(refused_by(&objects), "max_value_depth");
        let types = format!(
            "query($x: {}Int{}) {{ units {{ code }} }}",
            "[".repeat(2_000),
            "]".repeat(2_000)
        );
        assert_eq!(refused_by(&types), "max_value_depth");
        // Unclosed: still refused, not handed to the parser.
        let unclosed = format!("{{ a(b: {}", "[".repeat(100));
        assert_eq!(refused_by(&unclosed), "max_value_depth");
        // Within the limit: fine.
        let fine = format!(
            "{{ units(lang: {}FI{}) {{ code }} }}",
            "[".repeat(32),
            "]".repeat(32)
        );
        assert!(check(&fine).is_ok());
    }

    #[test]
    fn brackets_in_strings_and_comments_do_not_count() {
        let deep = "[".repeat(100);
        let query = format!(
            "# {deep}\n{{ search(query: \"{deep}\\\" {deep}\") {{ totalCount }} }} # {deep}"
        );
        assert!(check(&query).is_ok());
        let block =
            format!("{{ search(query: \"\"\"{deep} \\\"\"\" {deep}\"\"\") {{ totalCount }} }}");
        assert!(check(&block).is_ok());
    }

    #[test]
    fn selection_sets_nest_within_a_limit() {
        let deep = format!("{}{}", "{ a ".repeat(30), "}".repeat(30));
        assert_eq!(refused_by(&deep), "max_selection_depth");
        let inline = format!(
            "{{ {} __typename {} }}",
            "... on Query { ".repeat(30),
            "}".repeat(30)
        );
        assert_eq!(refused_by(&inline), "max_selection_depth");
    }

    #[test]
    fn fragment_bombs_are_counted_not_expanded() {
        let mut query = String::from("query { ...F24 }\nfragment F0 on Query { __typename }\n");
        for level in 1..=24 {
            query.push_str(&format!(
                "fragment F{level} on Query {{ ...F{previous} ...F{previous} }}\n",
                previous = level - 1
            ));
        }
        let started = std::time::Instant::now();
        assert!(check(&query).is_err());
        // Shallow but wide: ten spreads of the level below, eight levels.
        let mut wide = String::from("query { units { ...W8 } }\nfragment W0 on Unit { code }\n");
        for level in 1..=8 {
            let spreads = format!("...W{} ", level - 1).repeat(10);
            wide.push_str(&format!("fragment W{level} on Unit {{ {spreads} }}\n"));
        }
        assert_eq!(refused_by(&wide), "max_fields");
        assert!(started.elapsed() < std::time::Duration::from_secs(1));
    }

    #[test]
    fn fragment_cycles_and_long_chains_are_refused() {
        let cycle = "{ ...A } fragment A on Query { ...B } fragment B on Query { ...A }";
        assert_eq!(refused_by(cycle), "max_selection_depth");
        let itself = "{ ...A } fragment A on Query { __typename ...A }";
        assert_eq!(refused_by(itself), "max_selection_depth");
        let mut chain = String::from("{ ...F1000 } fragment F0 on Query { __typename }\n");
        for level in 1..=1_000 {
            chain.push_str(&format!(
                "fragment F{level} on Query {{ ...F{} }}\n",
                level - 1
            ));
        }
        assert_eq!(refused_by(&chain), "max_selection_depth");
    }

    #[test]
    fn one_submission_per_request() {
        let submit = |alias: usize| {
            format!(
                "s{alias}: submitFeedback(input: {{channel: WEB, description: \"x\"}}) {{ reference }}"
            )
        };
        let one = format!("mutation {{ {} }}", submit(0));
        assert_eq!(check(&one).expect("one").submissions, 1);
        let two = format!("mutation {{ {} {} }}", submit(0), submit(1));
        assert_eq!(refused_by(&two), "max_submissions");
        let hundred: Vec<String> = (0..100).map(submit).collect();
        let hundred = format!("mutation {{ {} }}", hundred.join(" "));
        assert!(check(&hundred).is_err());
        // Through a fragment as well.
        let fragment = format!(
            "mutation {{ ...S ...S }} fragment S on Mutation {{ {} }}",
            submit(0)
        );
        assert_eq!(refused_by(&fragment), "max_submissions");
        // A batch shares the budget.
        let mut batch = BatchRequest::Batch(vec![Request::new(one.clone()), Request::new(one)]);
        assert_eq!(
            check_batch(&mut batch, &LIMITS, &types())
                .expect_err("two in a batch")
                .limit,
            "max_submissions"
        );
    }

    #[test]
    fn batches_aliases_and_root_fields_are_bounded() {
        let mut batch =
            BatchRequest::Batch((0..11).map(|_| Request::new("{ __typename }")).collect());
        assert_eq!(
            check_batch(&mut batch, &LIMITS, &types())
                .expect_err("batch")
                .limit,
            "max_batch"
        );
        let aliases: Vec<String> = (0..31).map(|n| format!("a{n}: __typename")).collect();
        assert_eq!(
            refused_by(&format!("{{ units {{ {} }} }}", aliases.join(" "))),
            "max_aliases"
        );
        let roots = vec!["__typename"; 21].join(" ");
        assert_eq!(refused_by(&format!("{{ {roots} }}")), "max_root_fields");
        // A batch of ten small queries shares one field budget and fits it.
        let mut fits =
            BatchRequest::Batch((0..10).map(|_| Request::new("{ __typename }")).collect());
        assert!(check_batch(&mut fits, &LIMITS, &types()).is_ok());
    }

    #[test]
    fn deeply_nested_variables_are_refused() {
        let mut value = serde_json::json!("FI");
        for _ in 0..40 {
            value = serde_json::json!([value]);
        }
        let variables = async_graphql::Variables::from_json(serde_json::json!({ "lang": value }));
        let mut batch = BatchRequest::Single(
            Request::new("query($lang: [Language]) { units { code } }").variables(variables),
        );
        assert_eq!(
            check_batch(&mut batch, &LIMITS, &types())
                .expect_err("deep")
                .limit,
            "max_value_depth"
        );
    }

    /// What GraphiQL and other tools send to learn the schema must keep working.
    #[test]
    fn the_usual_introspection_query_passes() {
        let query = r#"
            query IntrospectionQuery {
              __schema {
                queryType { name } mutationType { name } subscriptionType { name }
                types { ...FullType }
                directives { name description locations args { ...InputValue } }
              }
            }
            fragment FullType on __Type {
              kind name description
              fields(includeDeprecated: true) {
                name description args { ...InputValue } type { ...TypeRef }
                isDeprecated deprecationReason
              }
              inputFields { ...InputValue }
              interfaces { ...TypeRef }
              enumValues(includeDeprecated: true) { name description isDeprecated deprecationReason }
              possibleTypes { ...TypeRef }
            }
            fragment InputValue on __InputValue {
              name description type { ...TypeRef } defaultValue
            }
            fragment TypeRef on __Type {
              kind name
              ofType { kind name ofType { kind name ofType { kind name ofType { kind name
                ofType { kind name ofType { kind name ofType { kind name ofType { kind name } } } } } } } }
            }
        "#;
        assert!(check(query).is_ok(), "{:?}", check(query));
    }

    #[test]
    fn positions_point_at_the_offending_bracket() {
        let query = format!("{{\n  units(lang: {}) {{ code }} }}", "[".repeat(40));
        let error = check(&query).expect_err("deep");
        assert!(
            error.message.contains("line 2, column 47"),
            "{}",
            error.message
        );
    }
}
