/*
 * scenario/yaml_emit.c — a YAML tree written back as text through libyaml's
 * emitter (see cs_ytree_emit in yaml_tree.h).
 *
 * The emitter, not hand-made printing, chooses how each scalar is quoted, so
 * that what is written always parses back: a scalar that was plain is asked
 * for plain style and libyaml falls back to quotes where plain text would be
 * read otherwise; a scalar that was quoted (or a block literal) stays quoted,
 * so that text such as "yes" or "1.0" is never read back as a number.
 */
#include <stdio.h>
#include <string.h>

#include <yaml.h>

#include "scenario/yaml_tree.h"

/* A mapping or list of at most this many scalars is written on one line
 * ({to: closed, p: 0.2}), as scenario authors write them. */
#define FLOW_ITEMS 6

typedef struct emitter {
    yaml_emitter_t e;
    cs_error *err;
    const char *file;
    int status; /* the first failure */
} emitter;

/* Hands event ev to the emitter; false (with err set) if it refuses. */
static bool emit(emitter *m, yaml_event_t *ev, bool made)
{
    if (!made) {
        m->status = cs_error_set(m->err, CS_ENOMEM, "%s: out of memory (YAML emitter)", m->file);
        return false;
    }
    if (yaml_emitter_emit(&m->e, ev))
        return true;
    m->status = cs_error_set(m->err, CS_EIO, "%s: cannot write YAML: %s", m->file,
                             m->e.problem ? m->e.problem : "write error");
    return false;
}

static bool emit_scalar(emitter *m, const cs_ynode *n)
{
    yaml_event_t ev;
    const char *v = n->value ? n->value : "";
    yaml_scalar_style_t style = YAML_PLAIN_SCALAR_STYLE;
    if (n->quoted)
        style = strchr(v, '\n') ? YAML_LITERAL_SCALAR_STYLE : YAML_DOUBLE_QUOTED_SCALAR_STYLE;
    bool made = yaml_scalar_event_initialize(&ev, NULL, NULL, (yaml_char_t *)v, (int)strlen(v),
                                             !n->quoted, 1, style);
    return emit(m, &ev, made);
}

/* Whether container n is short and flat enough for one line. */
static bool is_flow(const cs_ynode *n)
{
    if (n->n == 0 || n->n > FLOW_ITEMS)
        return n->n == 0;
    for (size_t i = 0; i < n->n; i++)
        if (n->items[i]->kind != CS_YNODE_SCALAR || strchr(n->items[i]->value, '\n'))
            return false;
    return true;
}

static bool emit_node(emitter *m, const cs_ynode *n);

static bool emit_container(emitter *m, const cs_ynode *n)
{
    yaml_event_t ev;
    bool flow = is_flow(n), map = n->kind == CS_YNODE_MAP, made;
    if (map)
        made = yaml_mapping_start_event_initialize(
            &ev, NULL, NULL, 1, flow ? YAML_FLOW_MAPPING_STYLE : YAML_BLOCK_MAPPING_STYLE);
    else
        made = yaml_sequence_start_event_initialize(
            &ev, NULL, NULL, 1, flow ? YAML_FLOW_SEQUENCE_STYLE : YAML_BLOCK_SEQUENCE_STYLE);
    if (!emit(m, &ev, made))
        return false;
    for (size_t i = 0; i < n->n; i++)
        if ((map && !emit_scalar(m, n->keys[i])) || !emit_node(m, n->items[i]))
            return false;
    made = map ? yaml_mapping_end_event_initialize(&ev) : yaml_sequence_end_event_initialize(&ev);
    return emit(m, &ev, made);
}

static bool emit_node(emitter *m, const cs_ynode *n)
{
    return n->kind == CS_YNODE_SCALAR ? emit_scalar(m, n) : emit_container(m, n);
}

/* libyaml's output callback: into the FILE. */
static int write_out(void *ctx, unsigned char *buf, size_t size)
{
    return fwrite(buf, 1, size, ctx) == size;
}

int cs_ytree_emit(const cs_ynode *root, FILE *out, const char *file, cs_error *err)
{
    emitter m = {.err = err, .file = file ? file : "<output>"};
    if (!yaml_emitter_initialize(&m.e))
        return cs_error_set(err, CS_ENOMEM, "%s: out of memory (YAML emitter)", m.file);
    yaml_emitter_set_output(&m.e, write_out, out);
    yaml_emitter_set_unicode(&m.e, 1);
    yaml_emitter_set_indent(&m.e, 2);
    yaml_emitter_set_width(&m.e, 100);
    yaml_event_t ev;
    bool ok = emit(&m, &ev, yaml_stream_start_event_initialize(&ev, YAML_UTF8_ENCODING)) &&
              emit(&m, &ev, yaml_document_start_event_initialize(&ev, NULL, NULL, NULL, 1)) &&
              emit_node(&m, root) && emit(&m, &ev, yaml_document_end_event_initialize(&ev, 1)) &&
              emit(&m, &ev, yaml_stream_end_event_initialize(&ev)) && yaml_emitter_flush(&m.e);
    if (!ok && m.status == CS_OK)
        m.status = cs_error_set(err, CS_EIO, "%s: cannot write YAML", m.file);
    yaml_emitter_delete(&m.e);
    return ok ? CS_OK : m.status;
}
