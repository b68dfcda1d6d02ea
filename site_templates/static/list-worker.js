// The list's data and queries, off the page's thread: releases.json is fetched, parsed, searched, sorted
// and counted here, so typing and picking stay smooth however big the collection. The page asks (a
// message with an id and a type), this answers with the same id; list.js is the only caller.
"use strict";

// The selects; after loading, also the owner's published folder and dropdown fields (releases.json's "facets").
let FILTERS = ["genre", "style", "format", "detail", "decade", "rating"];
const LINKED = ["artist", "label", "year", "from", "to", "until"];
const collator = new Intl.Collator(undefined, { sensitivity: "base", numeric: true });
let helpers = null;  // list-records.js, imported with the first message (its hashed name comes from the page)
let records = [];
const byInstance = new Map();
let orders = {};
let generation = 0;  // bumped by every query: a facet count still running for an older view stops

const yearOf = (r, state) => (state.years === "pressing" ? r.year : r.original);
const decadeOf = (year) => (year ? [`${Math.floor(year / 10) * 10}s`] : []);
const FACETS = {
  genre: (r) => r.genres,
  style: (r) => r.styles,
  format: (r) => r.formats,
  detail: (r) => r.descriptions,
  decade: (r, state) => decadeOf(yearOf(r, state)),
  rating: (r) => (r.rating ? [String(r.rating)] : []),
};
// A published facet holds one value per record (its folder, its Media Condition …), or none.
const facetOf = (r, name, state) => (FACETS[name] ? FACETS[name](r, state) : (r.extras[name] ? [r.extras[name]] : []));
const excluded = (state, name) => state.except.split(",").includes(name);
// A facet holds when the record has the value, or, turned round, when it has not.
const holds = (r, name, state) => facetOf(r, name, state).includes(state[name]) !== excluded(state, name);

const LINKED_MATCH = {
  artist: (r, value) => r.artists.includes(value),
  label: (r, value) => r.labels.includes(value),
  year: (r, value, state) => String(yearOf(r, state)) === value,
  from: (r, value, state) => yearOf(r, state) > 0 && yearOf(r, state) >= Number(value),
  to: (r, value, state) => yearOf(r, state) > 0 && yearOf(r, state) <= Number(value),
  until: (r, value) => r.month !== "" && r.month <= value,
};

// Built at the first search, not at load: a plain visit never pays for it.
function searchKeys(r) {
  if (r.key === undefined) {
    const texts = Object.entries(r.extras).filter(([name]) => name.startsWith("text:")).map(([, value]) => value);
    r.key = helpers.words([r.artist, r.title, ...r.labels, ...r.catnos, ...texts].join("\n"));
    r.compactKey = r.catnos.map(helpers.compact).join("\n");  // catalogue numbers, spacing-blind
  }
  return r;
}

// Each typed word holds when its letters and digits occur in that order (punctuation between them as a
// space: "ac/dc" is "ac dc"), or run together inside a catalogue number ("swco1762" finds "SWCO 1762").
const searchTerms = (q) => q.split(/\s+/).map((term) => [helpers.words(term), helpers.compact(term)]).filter(([w]) => w);

// The search and the filters the charts open, which every select's count respects too.
function searchedAndLinked(r, terms, linked, state) {
  for (const name of linked) if (!LINKED_MATCH[name](r, state[name], state)) return false;
  if (!terms.length) return true;
  searchKeys(r);
  return terms.every(([w, c]) => r.key.includes(w) || r.compactKey.includes(c));
}

function order(sort, state) {
  const cached = `${sort}|${state.years}`;
  if (orders[cached]) return orders[cached];
  const descending = sort.endsWith("-desc") || sort === "added" || sort === "rating";
  const field = sort.replace(/-(asc|desc)$/, "");
  const byArtist = (a, b) => collator.compare(a.artist, b.artist) || collator.compare(a.title, b.title);
  const shelf = (r) => `${r.labels[0] || ""}\u0000${r.catnos[0] || ""}`;
  // [key or null (always last), comparison of two keys]
  const keys = {
    added: [(r) => (r.added ? -r.index : null), (a, b) => a - b],  // records arrive newest first, undated last
    artist: [(r) => r, byArtist],
    title: [(r) => r, (a, b) => collator.compare(a.title, b.title) || byArtist(a, b)],
    year: [(r) => yearOf(r, state) || null, (a, b) => a - b],
    pressing: [(r) => r.year || null, (a, b) => a - b],
    label: [(r) => (r.labels.length ? shelf(r) : null), (a, b) => collator.compare(a, b)],
    rating: [(r) => r.rating || null, (a, b) => a - b],
  };
  const [keyOf, compare] = keys[field] || keys.added;
  const sorted = records.map((r) => [keyOf(r), r]);
  sorted.sort(([ka, a], [kb, b]) => {
    if (ka === null || kb === null) return (ka === null) - (kb === null) || a.index - b.index;
    return (descending ? compare(kb, ka) : compare(ka, kb)) || a.index - b.index;
  });
  orders[cached] = sorted.map(([, r]) => r);
  return orders[cached];
}

// Typing narrows: when the query only grew, search the previous result instead of every record.
let last = { view: null, q: null, found: [] };
function matches(state) {
  const q = helpers.fold(state.q);
  const terms = searchTerms(q);
  const wanted = FILTERS.filter((name) => state[name]);
  const linked = LINKED.filter((name) => state[name]);
  const view = [state.sort, state.except, state.years, ...[...wanted, ...linked].map((name) => `${name}=${state[name]}`)]
    .join("\u0000");
  const pool = last.view === view && last.q !== null && q.startsWith(last.q) ? last.found : order(state.sort, state);
  const found = pool.filter((r) => wanted.every((name) => holds(r, name, state)) && searchedAndLinked(r, terms, linked, state));
  last = { view, q, found };
  return found;
}

// What the page draws of a record: everything but the search keys.
function shown(r) {
  const { key, compactKey, ...rest } = r;
  return rest;
}

// How many records hold each value of every facet (a record counted once per value), over the whole list.
function values(state) {
  const counted = Object.fromEntries(FILTERS.map((name) => [name, new Map()]));
  for (const r of records) {
    for (const name of FILTERS) {
      for (const value of new Set(facetOf(r, name, state))) counted[name].set(value, (counted[name].get(value) || 0) + 1);
    }
  }
  return Object.fromEntries(FILTERS.map((name) => [name, [...counted[name]]]));
}

const pause = () => new Promise((resolve) => setTimeout(resolve, 0));

// Every record's search keys, built while the page shows its first rows, in slices so a question asked
// meanwhile is answered between them (a key still missing is built when a search needs it).
async function prepareSearch() {
  const loaded = records;
  for (let i = 0; i < loaded.length && loaded === records; i++) {
    if (i % 2000 === 1999) await pause();
    searchKeys(loaded[i]);
  }
}

// Options narrow each other: each facet counts what the other active filters and the search leave. A
// record failing no filter counts for every facet; failing exactly one, for that one only (picking another
// of its values would let it in). Counted in slices so a newer query is answered first and this one stops.
async function narrowed(state, mine) {
  const terms = searchTerms(helpers.fold(state.q));
  const linked = LINKED.filter((name) => state[name]);
  const active = FILTERS.filter((name) => state[name]);
  const counted = Object.fromEntries(FILTERS.map((name) => [name, new Map()]));
  for (let i = 0; i < records.length; i++) {
    if (i % 5000 === 4999) {
      await pause();
      if (generation !== mine) return null;
    }
    const r = records[i];
    if (!searchedAndLinked(r, terms, linked, state)) continue;
    let failed = null;
    let fails = 0;
    for (const name of active) {
      if (!holds(r, name, state)) {
        failed = name;
        if (++fails > 1) break;
      }
    }
    if (fails > 1) continue;
    for (const name of fails ? [failed] : FILTERS) {
      for (const value of new Set(facetOf(r, name, state))) counted[name].set(value, (counted[name].get(value) || 0) + 1);
    }
  }
  return Object.fromEntries(FILTERS.map((name) => [name, [...counted[name]]]));
}

const ANSWERS = {
  async first({ url }) {
    const data = await helpers.load(url);
    return { rows: helpers.toRecords(data).slice(0, 48), total: Number(data.total) || data.rows.length };
  },
  async load({ url, state }) {
    const data = await helpers.load(url);
    const published = (Array.isArray(data.facets) ? data.facets : [])
      .filter((name) => typeof name === "string" && helpers.published(name) && data.columns.includes(name));
    FILTERS = [...FILTERS.filter((name) => FACETS[name]), ...published];
    records = helpers.toRecords(data);
    orders = {};
    const copies = new Map();
    for (const r of records) copies.set(r.release, (copies.get(r.release) || 0) + 1);
    for (const r of records) {
      r.copies = copies.get(r.release);
      byInstance.set(r.instance, r);
    }
    setTimeout(prepareSearch, 0);  // after this answer: the first rows come first
    const order = data.order && typeof data.order === "object" ? data.order : {};
    return { total: records.length, facets: published, order, values: values(state) };
  },
  // One page of the view: the records to draw, how many match, and the page corrected to the last one.
  query({ state, perPage }) {
    const began = performance.now();
    generation += 1;
    const found = matches(state);
    const pages = Math.max(1, Math.ceil(found.length / perPage));
    const page = Math.min(state.page, pages);
    // The latest query's time, read by the browser benchmark (Chromium's CPU throttling spares workers).
    performance.clearMeasures("list-query");
    performance.measure("list-query", { start: began });
    return { found: found.length, total: records.length, page, pages,
             rows: found.slice((page - 1) * perPage, page * perPage).map(shown) };
  },
  facets({ state }) {
    return narrowed(state, generation);
  },
  values({ state }) {
    return values(state);
  },
  pick({ state }) {
    const found = matches(state);
    return found.length ? shown(found[Math.floor(Math.random() * found.length)]) : null;
  },
  record({ instance }) {
    return byInstance.has(instance) ? shown(byInstance.get(instance)) : null;
  },
  // For the larger view's previous and next: the record `step` places from `instance` in the view's order
  // (null past either end, or when it is not in the view), and whether that one has records before and after.
  around({ state, instance, step = 0 }) {
    const found = matches(state);
    const at = found.findIndex((r) => r.instance === instance);
    const to = at < 0 ? -1 : at + step;
    const inside = to >= 0 && to < found.length;
    const record = inside ? shown(found[to]) : null;
    return { record, before: inside && to > 0, after: inside && to < found.length - 1 };
  },
  // Every artist or label in the collection, for the field's suggestions.
  known({ name }) {
    return [...new Set(records.flatMap((r) => (name === "artist" ? r.artists : r.labels)))].sort(collator.compare);
  },
  // An artist or label typed in any case becomes the collection's own spelling.
  resolve({ name, typed }) {
    const all = name === "artist" ? records.flatMap((r) => r.artists) : records.flatMap((r) => r.labels);
    return (typed && all.find((value) => collator.compare(value, typed) === 0)) || typed;
  },
};

self.addEventListener("message", async (event) => {
  const { id, type, helpersUrl, ...asked } = event.data;
  try {
    if (!helpers) {
      importScripts(helpersUrl);
      helpers = self.listRecords;
    }
    self.postMessage({ id, result: await ANSWERS[type](asked) });
  } catch (error) {
    self.postMessage({ id, error: error.message || String(error) });
  }
});
