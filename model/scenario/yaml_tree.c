/*
 * yaml_tree.c — YAML text to a positioned node tree, with libyaml's event API.
 *
 * Why the event API and our own tree: libyaml's document API builds its tree
 * only after the whole stream is parsed (too late to stop an alias bomb or a
 * 10,000-deep nesting), and its nodes are awkward to patch and copy. Here each
 * event is checked as it arrives: the nesting depth against
 * CS_YAML_MAX_DEPTH, the node count against CS_YAML_MAX_NODES, so hostile
 * input fails fast and in bounded memory.
 *
 * Aliases are refused outright. A scenario never needs them, an expert can
 * always write the value out, and refusing them removes the whole class of
 * "billion laughs" expansion attacks instead of bounding it; the message says
 * so. Anchors alone are harmless and ignored.
 */
#include "core/alloc.h"
#include "scenario/yaml_tree.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

cs_ynode *cs_ynode_new(cs_ynode_kind kind, cs_pos pos, const char *value)
{
    cs_ynode *n = calloc(1, sizeof *n);
    if (!n)
        return NULL;
    n->kind = kind;
    n->pos = pos;
    n->patched_by = -1;
    if (kind == CS_YNODE_SCALAR) {
        n->value = cs_xstrdup(value ? value : "");
        if (!n->value) {
            free(n);
            return NULL;
        }
    }
    return n;
}

void cs_ynode_free(cs_ynode *n)
{
    if (!n)
        return;
    for (size_t i = 0; i < n->n; i++) {
        cs_ynode_free(n->items[i]);
        if (n->keys)
            cs_ynode_free(n->keys[i]);
    }
    free(n->items);
    free(n->keys);
    free(n->value);
    free(n);
}

int cs_ynode_append(cs_ynode *parent, cs_ynode *key, cs_ynode *item)
{
    if (parent->n == parent->cap) {
        size_t cap = parent->cap ? parent->cap * 2 : 4;
        if (cap > SIZE_MAX / sizeof(cs_ynode *) || cap <= parent->cap)
            return CS_ELIMIT;
        cs_ynode **items = realloc(parent->items, cap * sizeof *items);
        if (!items)
            return CS_ENOMEM;
        parent->items = items;
        if (parent->kind == CS_YNODE_MAP) {
            cs_ynode **keys = realloc(parent->keys, cap * sizeof *keys);
            if (!keys)
                return CS_ENOMEM;
            parent->keys = keys;
        }
        parent->cap = cap;
    }
    parent->items[parent->n] = item;
    if (parent->kind == CS_YNODE_MAP)
        parent->keys[parent->n] = key;
    parent->n++;
    return CS_OK;
}

int cs_ynode_copy(const cs_ynode *n, cs_ynode **out)
{
    *out = NULL;
    cs_ynode *c = cs_ynode_new(n->kind, n->pos, n->value);
    if (!c)
        return CS_ENOMEM;
    c->quoted = n->quoted;
    c->patched_by = n->patched_by;
    for (size_t i = 0; i < n->n; i++) {
        cs_ynode *k = NULL, *v = NULL;
        if (n->kind == CS_YNODE_MAP && cs_ynode_copy(n->keys[i], &k) != CS_OK) {
            cs_ynode_free(c);
            return CS_ENOMEM;
        }
        if (cs_ynode_copy(n->items[i], &v) != CS_OK || cs_ynode_append(c, k, v) != CS_OK) {
            cs_ynode_free(k);
            cs_ynode_free(v);
            cs_ynode_free(c);
            return CS_ENOMEM;
        }
    }
    *out = c;
    return CS_OK;
}

cs_ynode *cs_ynode_get(const cs_ynode *map, const char *key)
{
    if (!map || map->kind != CS_YNODE_MAP)
        return NULL;
    for (size_t i = 0; i < map->n; i++)
        if (strcmp(map->keys[i]->value, key) == 0)
            return map->items[i];
    return NULL;
}

const cs_ynode *cs_ynode_key(const cs_ynode *map, const char *key)
{
    if (!map || map->kind != CS_YNODE_MAP)
        return NULL;
    for (size_t i = 0; i < map->n; i++)
        if (strcmp(map->keys[i]->value, key) == 0)
            return map->keys[i];
    return NULL;
}

bool cs_ynode_is_null(const cs_ynode *n)
{
    if (!n || n->kind != CS_YNODE_SCALAR || n->quoted)
        return false;
    return n->value[0] == '\0' || strcmp(n->value, "~") == 0 || strcmp(n->value, "null") == 0 ||
           strcmp(n->value, "Null") == 0 || strcmp(n->value, "NULL") == 0;
}

const char *cs_ynode_kind_name(const cs_ynode *n)
{
    if (!n)
        return "nothing";
    switch (n->kind) {
    case CS_YNODE_SEQ:
        return "a list";
    case CS_YNODE_MAP:
        return "a mapping";
    default:
        break;
    }
    if (cs_ynode_is_null(n))
        return "nothing";
    return n->quoted ? "a quoted string" : "a plain value";
}

static int bad_byte(cs_error *err, const char *file, int line, int col, unsigned c)
{
    return cs_error_at(err, CS_EINVAL, file, line, col,
                       "byte 0x%02X is not valid UTF-8 (the file may be Latin-1 or "
                       "Windows-1252): save the scenario as UTF-8 text",
                       c);
}

/* Checks that text is UTF-8 without NUL bytes; on failure reports the
 * position (line, column in characters) of the first bad byte. */
static int check_utf8(const unsigned char *s, size_t len, const char *file, cs_error *err)
{
    int line = 1, col = 1;
    size_t i = 0;
    while (i < len) {
        unsigned c = s[i];
        size_t need;
        uint32_t cp, min;
        if (c == 0)
            return cs_error_at(err, CS_EINVAL, file, line, col,
                               "the file contains a NUL byte: a scenario must be UTF-8 text");
        if (c < 0x80) {
            need = 0;
            cp = c;
            min = 0;
        } else if ((c & 0xE0) == 0xC0) {
            need = 1;
            cp = c & 0x1F;
            min = 0x80;
        } else if ((c & 0xF0) == 0xE0) {
            need = 2;
            cp = c & 0x0F;
            min = 0x800;
        } else if ((c & 0xF8) == 0xF0) {
            need = 3;
            cp = c & 0x07;
            min = 0x10000;
        } else {
            return bad_byte(err, file, line, col, c);
        }
        if (need > 0 && i + need >= len)
            return bad_byte(err, file, line, col, c);
        for (size_t k = 1; k <= need; k++) {
            unsigned d = s[i + k];
            if ((d & 0xC0) != 0x80)
                return bad_byte(err, file, line, col, c);
            cp = (cp << 6) | (d & 0x3F);
        }
        if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
            return cs_error_at(err, CS_EINVAL, file, line, col,
                               "invalid UTF-8 sequence (overlong or out of range): save the "
                               "scenario as UTF-8 text");
        i += need + 1;
        if (c == '\n') {
            line++;
            col = 1;
        } else {
            col++;
        }
    }
    return CS_OK;
}

/* Whether text holds nothing but whitespace and comments. */
static bool is_blank(const char *s, size_t len)
{
    size_t i = 0;
    while (i < len) {
        char c = s[i];
        if (c == '#') {
            while (i < len && s[i] != '\n')
                i++;
        } else if (c == ' ' || c == '\t' || c == '\r' || c == '\n') {
            i++;
        } else {
            return false;
        }
    }
    return true;
}

typedef struct builder {
    const char *file;
    cs_error *err;
    cs_ynode *root;
    cs_ynode *stack[CS_YAML_MAX_DEPTH];
    cs_ynode *pending[CS_YAML_MAX_DEPTH]; /* a mapping's key awaiting its value */
    int depth;
    size_t nodes;
    int documents;
} builder;

static cs_pos mark_pos(yaml_mark_t m)
{
    cs_pos p = {(int)m.line + 1, (int)m.column + 1};
    return p;
}

/* Attaches a new node to the open collection (or makes it the root). Takes
 * ownership of n in every case. In a mapping, nodes alternate: a key waits in
 * pending[] until its value arrives. */
static int attach(builder *b, cs_ynode *n)
{
    if (b->depth == 0) {
        if (b->root) {
            int line = n->pos.line, col = n->pos.column;
            cs_ynode_free(n);
            return cs_error_at(b->err, CS_EINVAL, b->file, line, col,
                               "unexpected second value at the top level");
        }
        b->root = n;
        return CS_OK;
    }
    cs_ynode *top = b->stack[b->depth - 1];
    cs_ynode **pending = &b->pending[b->depth - 1];
    int st;
    if (top->kind == CS_YNODE_SEQ) {
        st = cs_ynode_append(top, NULL, n);
    } else if (*pending) {
        st = cs_ynode_append(top, *pending, n);
        if (st == CS_OK)
            *pending = NULL;
    } else {
        /* n is a key */
        int line = n->pos.line, col = n->pos.column;
        if (n->kind != CS_YNODE_SCALAR) {
            cs_ynode_free(n);
            return cs_error_at(b->err, CS_EINVAL, b->file, line, col,
                               "a mapping key must be a plain name, not a list or mapping");
        }
        for (size_t i = 0; i < top->n; i++)
            if (strcmp(top->keys[i]->value, n->value) == 0) {
                int st2 = cs_error_at(b->err, CS_EINVAL, b->file, line, col,
                                      "duplicate key `%s` (first given at line %d)", n->value,
                                      top->keys[i]->pos.line);
                cs_ynode_free(n);
                return st2;
            }
        if (top->n >= CS_YAML_MAX_KEYS) {
            cs_ynode_free(n);
            return cs_error_at(b->err, CS_ELIMIT, b->file, line, col,
                               "too many keys in one mapping (the limit is %u)", CS_YAML_MAX_KEYS);
        }
        *pending = n;
        return CS_OK;
    }
    if (st != CS_OK) {
        cs_ynode_free(n);
        return cs_error_set(b->err, st, "%s: out of memory", b->file);
    }
    return CS_OK;
}

static const char *STR_TAG = "tag:yaml.org,2002:str";

static int check_tag(builder *b, const yaml_char_t *tag, yaml_mark_t m, bool scalar, bool *is_str)
{
    *is_str = false;
    if (!tag)
        return CS_OK;
    const char *t = (const char *)tag;
    if (scalar && strcmp(t, STR_TAG) == 0) {
        *is_str = true;
        return CS_OK;
    }
    if (!scalar &&
        (strcmp(t, "tag:yaml.org,2002:map") == 0 || strcmp(t, "tag:yaml.org,2002:seq") == 0))
        return CS_OK;
    return cs_error_at(b->err, CS_EINVAL, b->file, (int)m.line + 1, (int)m.column + 1,
                       "YAML tags such as `%s` are not supported: write the value plainly", t);
}

/* A scalar event as a new node in *out. */
static int scalar_node(builder *b, const yaml_event_t *ev, cs_pos pos, cs_ynode **out)
{
    bool is_str;
    if (check_tag(b, ev->data.scalar.tag, ev->start_mark, true, &is_str) != CS_OK)
        return CS_EINVAL;
    cs_ynode *n = cs_ynode_new(CS_YNODE_SCALAR, pos, (const char *)ev->data.scalar.value);
    if (!n)
        return cs_error_set(b->err, CS_ENOMEM, "%s: out of memory", b->file);
    if (strlen(n->value) != ev->data.scalar.length) {
        cs_ynode_free(n);
        return cs_error_at(b->err, CS_EINVAL, b->file, pos.line, pos.column,
                           "a value contains a NUL character");
    }
    n->quoted = is_str || ev->data.scalar.style != YAML_PLAIN_SCALAR_STYLE;
    *out = n;
    return CS_OK;
}

/* A sequence or mapping start event as a new (empty) node in *out. */
static int collection_node(builder *b, const yaml_event_t *ev, cs_pos pos, cs_ynode **out)
{
    bool seq = ev->type == YAML_SEQUENCE_START_EVENT, is_str;
    const yaml_char_t *tag = seq ? ev->data.sequence_start.tag : ev->data.mapping_start.tag;
    if (check_tag(b, tag, ev->start_mark, false, &is_str) != CS_OK)
        return CS_EINVAL;
    if (b->depth >= CS_YAML_MAX_DEPTH)
        return cs_error_at(b->err, CS_ELIMIT, b->file, pos.line, pos.column,
                           "nesting deeper than %d levels (the limit)", CS_YAML_MAX_DEPTH);
    *out = cs_ynode_new(seq ? CS_YNODE_SEQ : CS_YNODE_MAP, pos, NULL);
    if (!*out)
        return cs_error_set(b->err, CS_ENOMEM, "%s: out of memory", b->file);
    return CS_OK;
}

/* Attaches the new node n to the tree (counted against the node budget),
 * and opens it if it is a collection. */
static int add_node(builder *b, cs_ynode *n, cs_pos pos)
{
    if (++b->nodes > CS_YAML_MAX_NODES) {
        cs_ynode_free(n);
        return cs_error_at(b->err, CS_ELIMIT, b->file, pos.line, pos.column,
                           "more than %u YAML values (the limit)", CS_YAML_MAX_NODES);
    }
    bool open = n->kind != CS_YNODE_SCALAR;
    int st = attach(b, n);
    if (st != CS_OK)
        return st;
    if (open) {
        b->pending[b->depth] = NULL;
        b->stack[b->depth++] = n;
    }
    return CS_OK;
}

static int on_event(builder *b, const yaml_event_t *ev, bool *done)
{
    cs_pos pos = mark_pos(ev->start_mark);
    cs_ynode *n = NULL;
    int st;
    switch (ev->type) {
    case YAML_STREAM_END_EVENT:
        *done = true;
        return CS_OK;
    case YAML_DOCUMENT_START_EVENT:
        if (++b->documents > 1)
            return cs_error_at(b->err, CS_EINVAL, b->file, pos.line, pos.column,
                               "a second YAML document (`---`): a scenario file holds one");
        return CS_OK;
    case YAML_ALIAS_EVENT:
        return cs_error_at(b->err, CS_EINVAL, b->file, pos.line, pos.column,
                           "YAML aliases (`*%s`) are not supported: write the value out in full",
                           (const char *)ev->data.alias.anchor);
    case YAML_SCALAR_EVENT:
        st = scalar_node(b, ev, pos, &n);
        return st == CS_OK ? add_node(b, n, pos) : st;
    case YAML_SEQUENCE_START_EVENT:
    case YAML_MAPPING_START_EVENT:
        st = collection_node(b, ev, pos, &n);
        return st == CS_OK ? add_node(b, n, pos) : st;
    case YAML_SEQUENCE_END_EVENT:
    case YAML_MAPPING_END_EVENT:
        if (b->depth > 0)
            b->depth--;
        return CS_OK;
    default:
        return CS_OK;
    }
}

/* Keys whose value never arrived (only after an error) are owned by no node. */
static void free_pending(builder *b)
{
    for (int d = 0; d < b->depth; d++) {
        cs_ynode_free(b->pending[d]);
        b->pending[d] = NULL;
    }
}

/* Whether line (0-based) of text has `path:` followed by an unquoted value
 * with a `[`: in flow style (`{path: stages.x.branches[0].p, set: 1}`)
 * YAML takes that `[` for the start of a list, and its message alone does
 * not say so. */
static bool flow_path_hint(const char *text, size_t len, size_t line)
{
    size_t i = 0;
    for (size_t l = 0; l < line && i < len; i++)
        if (text[i] == '\n')
            l++;
    const char *p = text + i, *end = memchr(p, '\n', len - i);
    if (!end)
        end = text + len;
    for (; p + 5 <= end; p++) {
        if (memcmp(p, "path:", 5) != 0)
            continue;
        const char *v = p + 5;
        while (v < end && *v == ' ')
            v++;
        if (v < end && (*v == '"' || *v == '\''))
            continue;
        for (; v < end && *v != ',' && *v != '}'; v++)
            if (*v == '[')
                return true;
    }
    return false;
}

int cs_ytree_parse(const char *text, size_t len, const char *file, cs_ynode **out, cs_error *err)
{
    *out = NULL;
    if (!file)
        file = "<string>";
    int st = check_utf8((const unsigned char *)text, len, file, err);
    if (st != CS_OK)
        return st;
    if (is_blank(text, len))
        return cs_error_at(err, CS_EINVAL, file, 1, 1,
                           "the file is empty: expected a scenario (see scenarios/README.md)");

    yaml_parser_t parser;
    if (!yaml_parser_initialize(&parser))
        return cs_error_set(err, CS_ENOMEM, "%s: out of memory", file);
    yaml_parser_set_input_string(&parser, (const unsigned char *)text, len);
    yaml_parser_set_encoding(&parser, YAML_UTF8_ENCODING);

    builder b;
    memset(&b, 0, sizeof b);
    b.file = file;
    b.err = err;
    bool done = false;
    st = CS_OK;
    while (!done) {
        yaml_event_t ev;
        if (!yaml_parser_parse(&parser, &ev)) {
            yaml_mark_t m = parser.problem_mark;
            if (parser.error == YAML_MEMORY_ERROR) {
                st = cs_error_set(err, CS_ENOMEM, "%s: out of memory", file);
            } else if (parser.context) {
                bool hint = flow_path_hint(text, len, parser.context_mark.line) ||
                            flow_path_hint(text, len, m.line);
                st = cs_error_at(err, CS_EINVAL, file, (int)m.line + 1, (int)m.column + 1,
                                 "YAML syntax error: %s %s (line %d)%s",
                                 parser.problem ? parser.problem : "error", parser.context,
                                 (int)parser.context_mark.line + 1,
                                 hint ? "; inside `{ ... }` YAML reads the `[` of a path as the "
                                        "start of a list: quote the path, e.g. {path: "
                                        "\"stages.x.branches[0].p\", set: 0.98}, or write the "
                                        "change in block style"
                                      : "");
            } else {
                st = cs_error_at(err, CS_EINVAL, file, (int)m.line + 1, (int)m.column + 1,
                                 "YAML syntax error: %s",
                                 parser.problem ? parser.problem : "malformed input");
            }
            break;
        }
        st = on_event(&b, &ev, &done);
        yaml_event_delete(&ev);
        if (st != CS_OK)
            break;
    }
    yaml_parser_delete(&parser);
    if (st != CS_OK) {
        free_pending(&b);
        cs_ynode_free(b.root);
        return st;
    }
    if (!b.root || cs_ynode_is_null(b.root)) {
        cs_ynode_free(b.root);
        return cs_error_at(err, CS_EINVAL, file, 1, 1,
                           "the file is empty: expected a scenario (see scenarios/README.md)");
    }
    *out = b.root;
    return CS_OK;
}

/* ------------------------------------------------------------ tree edits */

/* Appends text to buf (size bytes, *used so far), truncating. */
static void put(char *buf, size_t size, size_t *used, const char *text)
{
    size_t n = strlen(text);
    if (*used + 1 >= size)
        return;
    if (n > size - 1 - *used)
        n = size - 1 - *used;
    memcpy(buf + *used, text, n);
    *used += n;
    buf[*used] = '\0';
}

static void render(const cs_ynode *n, char *buf, size_t size, size_t *used)
{
    if (n->kind == CS_YNODE_SCALAR) {
        if (n->quoted)
            put(buf, size, used, "\"");
        put(buf, size, used, n->value);
        if (n->quoted)
            put(buf, size, used, "\"");
        return;
    }
    put(buf, size, used, n->kind == CS_YNODE_SEQ ? "[" : "{");
    for (size_t i = 0; i < n->n; i++) {
        if (i)
            put(buf, size, used, ", ");
        if (n->kind == CS_YNODE_MAP) {
            put(buf, size, used, n->keys[i]->value);
            put(buf, size, used, ": ");
        }
        render(n->items[i], buf, size, used);
    }
    put(buf, size, used, n->kind == CS_YNODE_SEQ ? "]" : "}");
}

const char *cs_ynode_render(const cs_ynode *n, char *buf, size_t size)
{
    size_t used = 0;
    if (size == 0)
        return buf;
    buf[0] = '\0';
    render(n, buf, size, &used);
    if (used + 1 >= size && size > 4)
        memcpy(buf + size - 4, "...", 4);
    return buf;
}

void cs_ynode_mark(cs_ynode *n, int patched_by)
{
    n->patched_by = patched_by;
    for (size_t i = 0; i < n->n; i++) {
        if (n->kind == CS_YNODE_MAP)
            n->keys[i]->patched_by = patched_by;
        cs_ynode_mark(n->items[i], patched_by);
    }
}

void cs_ynode_take(cs_ynode *dst, cs_ynode *src)
{
    cs_pos pos = dst->pos;
    for (size_t i = 0; i < dst->n; i++) {
        if (dst->kind == CS_YNODE_MAP)
            cs_ynode_free(dst->keys[i]);
        cs_ynode_free(dst->items[i]);
    }
    free(dst->items);
    free(dst->keys);
    free(dst->value);
    *dst = *src;
    dst->pos = pos;
    free(src);
}

void cs_ynode_remove(cs_ynode *parent, size_t i)
{
    if (i >= parent->n)
        return;
    if (parent->kind == CS_YNODE_MAP) {
        cs_ynode_free(parent->keys[i]);
        memmove(parent->keys + i, parent->keys + i + 1, (parent->n - i - 1) * sizeof *parent->keys);
    }
    cs_ynode_free(parent->items[i]);
    memmove(parent->items + i, parent->items + i + 1, (parent->n - i - 1) * sizeof *parent->items);
    parent->n--;
}
