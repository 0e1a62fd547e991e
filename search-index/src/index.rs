//! [`SearchIndex`]: the index, its one writer and its reader.

use std::fmt;
use std::fs;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, MutexGuard};

use tantivy::collector::{Count, TopDocs};
use tantivy::columnar::Column;
use tantivy::directory::error::LockError;
use tantivy::directory::{Directory, INDEX_WRITER_LOCK, MmapDirectory};
use tantivy::indexer::IndexWriterOptions;
use tantivy::{
    DocAddress, Index, IndexReader, IndexSettings, IndexWriter, Order, ReloadPolicy, Searcher,
    TantivyError, Term,
};

use crate::analyzers;
use crate::document::CaseDocument;
use crate::error::{IndexError, WhileDoing};
use crate::facets::FacetCollector;
use crate::query::{
    self, Facets, QueryLimits, Ranking, SearchQuery, SearchResults, TextQueryParser,
};
use crate::schema::{self, CaseFields, build_schema};

/// Indexing memory before tantivy flushes a segment. Cases are small; this holds thousands.
const WRITER_MEMORY_BUDGET: usize = 50_000_000;
/// One indexing thread and one merge thread: the writer shares a small machine with the
/// API and the database, and a city's case volume never needs more.
const WRITER_THREADS: usize = 1;
const MERGE_THREADS: usize = 1;

/// The search index of cases: derived from the database and rebuildable at any time.
///
/// Blocking: async callers wrap calls in `spawn_blocking`. `Send + Sync`, meant to be
/// shared in an `Arc`. A writable instance owns the index's only [`IndexWriter`] (tantivy
/// locks the folder, so a second writer, in this process or another, gets
/// [`IndexError::Locked`]); writes are serialised by a mutex, and every write commits
/// once and reloads the reader, so the next search sees it.
pub struct SearchIndex {
    fields: CaseFields,
    reader: IndexReader,
    /// `None` for an instance from [`SearchIndex::open_read_only`].
    writer: Option<Mutex<IndexWriter>>,
    text_parser: TextQueryParser,
    /// Where the index lives, for messages; `None` in memory.
    folder: Option<PathBuf>,
}

/// What to do when the folder holds an index of another schema.
#[derive(Clone, Copy, PartialEq, Eq)]
enum OnSchemaChange {
    Fail,
    Recreate,
}

impl SearchIndex {
    /// Opens the index in `folder` for searching and writing, creating the folder and an
    /// empty index when missing.
    ///
    /// An index built with another schema (a field or analyzer changed since) is not
    /// touched: this returns [`IndexError::SchemaChanged`], whose message tells the
    /// operator to run `palaute reindex`. That command uses [`SearchIndex::open_or_recreate`].
    /// We chose to fail rather than silently recreate: an emptied index would answer every
    /// search with nothing until someone thought of reindexing.
    pub fn open(folder: &Path) -> Result<Self, IndexError> {
        let index = open_folder(folder, OnSchemaChange::Fail)?;
        Self::writable(index, Some(folder))
    }

    /// Like [`SearchIndex::open`], but an index of another schema is replaced by an empty
    /// one. For `palaute reindex`, which then fills it from the database.
    pub fn open_or_recreate(folder: &Path) -> Result<Self, IndexError> {
        let index = open_folder(folder, OnSchemaChange::Recreate)?;
        Self::writable(index, Some(folder))
    }

    /// Opens the index in `folder` for searching only, for a process that does not own the
    /// writer (an API server beside a separate worker). Commits made by the writing
    /// process become visible within about a second. Writes return [`IndexError::ReadOnly`].
    ///
    /// A missing index is created empty, so the API can start before the worker ever ran;
    /// an index of another schema is reported ([`IndexError::SchemaChanged`]), never replaced.
    pub fn open_read_only(folder: &Path) -> Result<Self, IndexError> {
        let index = open_folder(folder, OnSchemaChange::Fail)?;
        let (_, fields) = build_schema();
        let reader = index
            .reader_builder()
            .reload_policy(ReloadPolicy::OnCommitWithDelay)
            .try_into()
            .while_doing("opening the index reader")?;
        Ok(Self {
            fields,
            reader,
            writer: None,
            text_parser: TextQueryParser::new(&index, &fields),
            folder: Some(folder.to_owned()),
        })
    }

    /// An empty index in memory, for tests.
    pub fn open_in_memory() -> Result<Self, IndexError> {
        let (schema, _) = build_schema();
        let index = Index::builder()
            .schema(schema)
            .create_in_ram()
            .while_doing("creating an index in memory")?;
        analyzers::register(index.tokenizers());
        Self::writable(index, None)
    }

    fn writable(index: Index, folder: Option<&Path>) -> Result<Self, IndexError> {
        let (_, fields) = build_schema();
        let options = IndexWriterOptions::builder()
            .memory_budget_per_thread(WRITER_MEMORY_BUDGET / WRITER_THREADS)
            .num_worker_threads(WRITER_THREADS)
            .num_merge_threads(MERGE_THREADS)
            .build();
        let writer = index
            .writer_with_options(options)
            .map_err(|error| match error {
                TantivyError::LockFailure(LockError::LockBusy, _) => IndexError::Locked {
                    path: folder.map(Path::to_owned).unwrap_or_default(),
                },
                other => IndexError::Tantivy {
                    doing: "opening the index writer",
                    source: other,
                },
            })?;
        // Only this instance writes, so it reloads exactly when it commits.
        let reader = index
            .reader_builder()
            .reload_policy(ReloadPolicy::Manual)
            .try_into()
            .while_doing("opening the index reader")?;
        Ok(Self {
            fields,
            reader,
            writer: Some(Mutex::new(writer)),
            text_parser: TextQueryParser::new(&index, &fields),
            folder: folder.map(Path::to_owned),
        })
    }

    /// Indexes `documents`, replacing any earlier version of the same cases, in one
    /// commit. Within a batch, the last document of a case wins.
    ///
    /// Commits are expensive (a new segment, an fsync), so callers batch: the worker
    /// indexes the cases of many jobs per call, `palaute reindex` thousands at a time.
    /// On failure nothing of the batch is kept.
    pub fn upsert(&self, documents: &[CaseDocument]) -> Result<(), IndexError> {
        self.replace(documents, &[])
    }

    /// Like [`SearchIndex::upsert`], and removes the cases `removed` (merged
    /// duplicates, which search shows as part of the case they were merged into), in
    /// the same commit.
    pub fn replace(&self, documents: &[CaseDocument], removed: &[i64]) -> Result<(), IndexError> {
        if documents.is_empty() && removed.is_empty() {
            return Ok(());
        }
        self.write(|writer, fields| {
            for case_id in removed {
                writer.delete_term(Term::from_field_i64(fields.case_id, *case_id));
            }
            for document in documents {
                writer.delete_term(Term::from_field_i64(fields.case_id, document.case_id));
                writer
                    .add_document(document.to_tantivy(fields))
                    .while_doing("adding a case")?;
            }
            Ok(())
        })?;
        tracing::debug!(documents = documents.len(), "indexed cases");
        Ok(())
    }

    /// Removes every case from the index, in one commit.
    pub fn clear(&self) -> Result<(), IndexError> {
        self.write(|writer, _| {
            writer
                .delete_all_documents()
                .while_doing("deleting all cases")?;
            Ok(())
        })?;
        tracing::info!("cleared the search index");
        Ok(())
    }

    /// Rewrites the segments that hold deleted documents without them, and removes the
    /// files nothing uses any more. A deleted or replaced document otherwise stays in
    /// its segment's files (its words in the term dictionary, its stored fields) until
    /// a merge happens to pick that segment; after anonymising a case, its old words
    /// must not wait for that. Returns how many segments were rewritten.
    pub fn purge_deleted(&self) -> Result<usize, IndexError> {
        let mut writer = self.lock_writer()?;
        let with_deletes: Vec<_> = writer
            .index()
            .searchable_segment_metas()
            .while_doing("listing the index segments")?
            .into_iter()
            .filter(|segment| segment.has_deletes())
            .map(|segment| segment.id())
            .collect();
        if !with_deletes.is_empty() {
            writer
                .merge(&with_deletes)
                .wait()
                .while_doing("merging away deleted documents")?;
        }
        drop(writer);
        // Searchers of the old segments go with the reload; then their files can go.
        self.reader
            .reload()
            .while_doing("reloading the index reader")?;
        let writer = self.lock_writer()?;
        writer
            .garbage_collect_files()
            .wait()
            .while_doing("removing unused index files")?;
        tracing::info!(
            segments = with_deletes.len(),
            "purged deleted documents from the index"
        );
        Ok(with_deletes.len())
    }

    /// Runs `operations` under the writer lock, then commits and reloads; on any failure,
    /// rolls back to the last commit instead.
    fn write(
        &self,
        operations: impl FnOnce(&mut IndexWriter, &CaseFields) -> Result<(), IndexError>,
    ) -> Result<(), IndexError> {
        let mut writer = self.lock_writer()?;
        let outcome = operations(&mut writer, &self.fields).and_then(|()| {
            writer
                .commit()
                .map(drop)
                .while_doing("committing to the index")
        });
        if let Err(error) = outcome {
            if let Err(rollback_error) = writer.rollback() {
                tracing::error!(%rollback_error, "could not roll back a failed index batch");
            }
            return Err(error);
        }
        drop(writer);
        self.reader
            .reload()
            .while_doing("reloading the index reader")
    }

    fn lock_writer(&self) -> Result<MutexGuard<'_, IndexWriter>, IndexError> {
        let writer = self.writer.as_ref().ok_or(IndexError::ReadOnly)?;
        match writer.lock() {
            Ok(guard) => Ok(guard),
            Err(poisoned) => {
                // A batch panicked half-way: drop its uncommitted operations before reuse.
                let mut guard = poisoned.into_inner();
                guard
                    .rollback()
                    .while_doing("rolling back after a panicked batch")?;
                writer.clear_poison();
                Ok(guard)
            }
        }
    }

    /// Finds cases: see [`SearchQuery`] for the query language, ordering and paging. The
    /// text is held to the default [`QueryLimits`].
    pub fn search(&self, search: &SearchQuery) -> Result<SearchResults, IndexError> {
        self.search_with_limits(search, &QueryLimits::default())
    }

    /// Like [`SearchIndex::search`], with the caller's limits on the text (the API's come
    /// from configuration). Text beyond them is refused with [`IndexError::QueryTooLong`]
    /// or [`IndexError::QueryTooDeep`] before anything is searched.
    pub fn search_with_limits(
        &self,
        search: &SearchQuery,
        limits: &QueryLimits,
    ) -> Result<SearchResults, IndexError> {
        let (query, ranking) = query::plan(search, limits, &self.text_parser, &self.fields)?;
        let searcher = self.reader.searcher();

        // A page can hold no more than the index; this also keeps a huge `limit` from
        // sizing tantivy's top-k heap.
        let num_docs = usize::try_from(searcher.num_docs()).unwrap_or(usize::MAX);
        let page_len = search.limit.min(num_docs.saturating_sub(search.offset));
        let doing = "searching";
        let (total_count, facet_counts, page) = if page_len == 0 {
            let (count, facets) = searcher
                .search(&query, &(Count, FacetCollector))
                .while_doing(doing)?;
            (count, facets, Vec::new())
        } else {
            let top = TopDocs::with_limit(page_len).and_offset(search.offset);
            match ranking {
                Ranking::BestFirst => {
                    let collectors = (Count, FacetCollector, top.order_by_score());
                    let (count, facets, hits) =
                        searcher.search(&query, &collectors).while_doing(doing)?;
                    (count, facets, addresses(hits))
                }
                Ranking::NewestFirst => {
                    let newest = top
                        .order_by_fast_field::<tantivy::DateTime>(schema::CREATED_AT, Order::Desc);
                    let collectors = (Count, FacetCollector, newest);
                    let (count, facets, hits) =
                        searcher.search(&query, &collectors).while_doing(doing)?;
                    (count, facets, addresses(hits))
                }
            }
        };

        Ok(SearchResults {
            total_count: total_count as u64,
            case_ids: case_ids(&searcher, &page)?,
            facets: Facets::from(facet_counts),
        })
    }

    /// How many cases the index holds, as of the last commit this instance has seen.
    pub fn document_count(&self) -> u64 {
        self.reader.searcher().num_docs()
    }
}

impl fmt::Debug for SearchIndex {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SearchIndex")
            .field("folder", &self.folder)
            .field("writable", &self.writer.is_some())
            .finish_non_exhaustive()
    }
}

fn addresses<K>(hits: Vec<(K, DocAddress)>) -> Vec<DocAddress> {
    hits.into_iter().map(|(_, address)| address).collect()
}

/// Reads the case ids of a page from the `case_id` fast column, opening each segment's
/// column once.
fn case_ids(searcher: &Searcher, page: &[DocAddress]) -> Result<Vec<i64>, IndexError> {
    let mut columns: Vec<Option<Column<i64>>> = vec![None; searcher.segment_readers().len()];
    let mut case_ids = Vec::with_capacity(page.len());
    for address in page {
        // The searcher made the addresses, so every segment ordinal has a slot.
        let Some(slot) = columns.get_mut(address.segment_ord as usize) else {
            continue;
        };
        let column = match slot {
            Some(column) => column,
            None => {
                let column = searcher
                    .segment_reader(address.segment_ord)
                    .fast_fields()
                    .i64(schema::CASE_ID)
                    .while_doing("reading case ids")?;
                slot.insert(column)
            }
        };
        match column.first(address.doc_id) {
            Some(case_id) => case_ids.push(case_id),
            None => tracing::warn!(?address, "indexed document without a case id"),
        }
    }
    Ok(case_ids)
}

/// Opens (or creates) the on-disk index and registers the analyzers.
fn open_folder(folder: &Path, on_schema_change: OnSchemaChange) -> Result<Index, IndexError> {
    fs::create_dir_all(folder).map_err(|source| IndexError::CreateDir {
        path: folder.to_owned(),
        source,
    })?;
    let directory = MmapDirectory::open(folder).while_doing("opening the index folder")?;
    let (schema, _) = build_schema();

    let index = if !Index::exists(&directory).while_doing("looking for an index")? {
        tracing::info!(folder = %folder.display(), "creating a new search index");
        Index::create(directory, schema, IndexSettings::default())
            .while_doing("creating the index")?
    } else {
        let existing = Index::open(directory.clone()).while_doing("opening the index")?;
        if existing.schema() == schema {
            existing
        } else if on_schema_change == OnSchemaChange::Fail {
            return Err(IndexError::SchemaChanged {
                path: folder.to_owned(),
            });
        } else {
            recreate(folder, directory, schema)?
        }
    };
    analyzers::register(index.tokenizers());
    Ok(index)
}

/// Replaces an index of an older schema by an empty one. The writer lock is held while
/// doing so, so an old writer still running elsewhere is never pulled from under.
/// Tantivy's garbage collection deletes the old segment files at the next commit.
fn recreate(
    folder: &Path,
    directory: MmapDirectory,
    schema: tantivy::schema::Schema,
) -> Result<Index, IndexError> {
    let _lock = directory
        .acquire_lock(&INDEX_WRITER_LOCK)
        .map_err(|error| match error {
            LockError::LockBusy => IndexError::Locked {
                path: folder.to_owned(),
            },
            other => IndexError::Tantivy {
                doing: "locking the index to recreate it",
                source: other.into(),
            },
        })?;
    tracing::warn!(
        folder = %folder.display(),
        "search index schema changed: recreating it empty"
    );
    Index::create(directory, schema, IndexSettings::default()).while_doing("recreating the index")
}

// Keeps the documented `Send + Sync` promise checked at compile time.
const _: fn() = || {
    fn shareable<T: Send + Sync>() {}
    shareable::<SearchIndex>();
};

#[cfg(test)]
mod tests;
