/*
 * yaml_tree.h — a small YAML document tree with positions (internal).
 *
 * cs_ytree_parse reads one YAML document with libyaml's event API and builds
 * our own tree of scalars, sequences and mappings, each node carrying its
 * 1-based line and column so that every later error can point at it. The
 * parser refuses, with a positioned message: bytes that are not UTF-8, NUL
 * bytes, empty input, more than one document, aliases (see yaml_tree.c for
 * why), tags other than !!str, non-scalar or duplicate mapping keys, nesting
 * deeper than CS_YAML_MAX_DEPTH and more than CS_YAML_MAX_NODES nodes.
 */
#ifndef CASESIM_YAML_TREE_H
#define CASESIM_YAML_TREE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "casesim/error.h"

/* Nesting depth of one document (casesim/scenario.h states the same limit
 * to scenario authors as CS_MAX_YAML_DEPTH). */
#define CS_YAML_MAX_DEPTH 64
/* Node budget of one document: far above any real scenario (a large one has
 * a few thousand nodes), far below what would exhaust memory. */
#define CS_YAML_MAX_NODES 200000u
/* Keys of one mapping; the duplicate-key check is quadratic in this. */
#define CS_YAML_MAX_KEYS 256u

typedef enum cs_ynode_kind { CS_YNODE_SCALAR = 0, CS_YNODE_SEQ, CS_YNODE_MAP } cs_ynode_kind;

typedef struct cs_ynode cs_ynode;
struct cs_ynode {
    cs_ynode_kind kind;
    cs_pos pos;
    char *value;      /* SCALAR: NUL-terminated text */
    bool quoted;      /* SCALAR: quoted, block literal or !!str: never a number */
    size_t n;         /* SEQ: items; MAP: key/value pairs */
    size_t cap;       /* allocated room in items (and keys) */
    cs_ynode **items; /* SEQ: items; MAP: values */
    cs_ynode **keys;  /* MAP: keys (scalars); NULL for SEQ */
    int patched_by;   /* index of the intervention change that altered it, -1 if none */
};

/* Parses len bytes of text (need not be NUL-terminated) as one YAML document.
 * file names the input in messages. On success returns CS_OK and *out owns the
 * root (free with cs_ynode_free). On failure returns CS_EINVAL, CS_ELIMIT or
 * CS_ENOMEM with one message in err and leaves *out NULL. */
int cs_ytree_parse(const char *text, size_t len, const char *file, cs_ynode **out, cs_error *err);

/* Writes the tree root as one YAML document to out with libyaml's emitter
 * (file names out in messages; may be NULL). Scalars that were plain are
 * written plain where that reads back the same, else quoted by the emitter;
 * quoted ones stay quoted (multi-line text as a block literal where the
 * emitter allows it); short flat mappings and lists go on one line. The
 * text read back with cs_ytree_parse gives the same tree (positions aside).
 * Comments are not part of the tree and are not written. Returns CS_OK,
 * CS_EIO (write error) or CS_ENOMEM. */
int cs_ytree_emit(const cs_ynode *root, FILE *out, const char *file, cs_error *err);

/* Frees n and all its descendants. NULL is a no-op. */
void cs_ynode_free(cs_ynode *n);

/* Makes a deep copy of n in *out (owned by the caller). CS_OK or CS_ENOMEM. */
int cs_ynode_copy(const cs_ynode *n, cs_ynode **out);

/* Allocates a node of the given kind at pos (value copied for a scalar; may
 * be NULL otherwise). Returns NULL when out of memory. */
cs_ynode *cs_ynode_new(cs_ynode_kind kind, cs_pos pos, const char *value);

/* Appends item to a sequence, or key/value to a mapping (key NULL for a
 * sequence). Takes ownership on success only. CS_OK or CS_ENOMEM/CS_ELIMIT. */
int cs_ynode_append(cs_ynode *parent, cs_ynode *key, cs_ynode *item);

/* The value of key in mapping map, or NULL (also when map is not a mapping). */
cs_ynode *cs_ynode_get(const cs_ynode *map, const char *key);

/* The key node of key in mapping map, or NULL. */
const cs_ynode *cs_ynode_key(const cs_ynode *map, const char *key);

/* n in one line of flow YAML (`{days: 730, from: incident}`), truncated to
 * size bytes with "..." at the end. Returns buf. */
const char *cs_ynode_render(const cs_ynode *n, char *buf, size_t size);

/* Sets patched_by of n and of everything below it. */
void cs_ynode_mark(cs_ynode *n, int patched_by);

/* Replaces the contents of dst by those of src (keeping dst's position)
 * and frees the shell of src: dst's place in its parent is kept. */
void cs_ynode_take(cs_ynode *dst, cs_ynode *src);

/* Removes (and frees) item i of a sequence, or key/value pair i of a
 * mapping. */
void cs_ynode_remove(cs_ynode *parent, size_t i);

/* Whether n is a scalar that stands for nothing: `~`, `null` or empty. */
bool cs_ynode_is_null(const cs_ynode *n);

/* "a number", "a list", "a mapping", ... for messages about n's type. */
const char *cs_ynode_kind_name(const cs_ynode *n);

#endif
