/*
 * h5util.h — small HDF5 helpers shared by the results writer, reader and
 * analysis (internal to libcasesim; not a public header).
 *
 * Conventions: every hid_t starts as H5I_INVALID_HID and is released with
 * cs_h5_close, which accepts invalid ids, so that one cleanup block at the end
 * of a function closes whatever was opened. HDF5's automatic error printing is
 * switched off (cs_h5_quiet); failures become cs_error messages through
 * cs_h5_fail, which appends HDF5's own innermost description.
 */
#ifndef CASESIM_H5UTIL_H
#define CASESIM_H5UTIL_H

#include <hdf5.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "casesim/error.h"
#include "casesim/schema.h"

/* Silences HDF5's printing of its error stack and skips its exit-time
 * cleanup (see h5util.c for why); process-wide, idempotent. */
void cs_h5_quiet(void);

/* Records a printf-style message, followed by HDF5's description of the
 * innermost error on its stack (if any), clears the stack, returns status.
 * When an error on the stack is a checksum that did not match (Fletcher32
 * on data, or a metadata checksum), the message ends "...: damaged file, a
 * checksum does not match (HDF5: ...)" and the status returned and recorded
 * is CS_EFORMAT, whatever status was given: the file is bad input. */
int cs_h5_fail(cs_error *err, int status, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Like cs_h5_fail, for a read that failed on the contents of the file
 * named file: always "FILE: damaged file: <message> (HDF5: ...)" and
 * CS_EFORMAT. */
int cs_h5_damaged(cs_error *err, const char *file, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Closes *id whatever its kind (file, group, dataset, dataspace, datatype,
 * attribute, property list) and sets it to H5I_INVALID_HID. An invalid id is
 * a no-op. Returns 0, or a negative value if HDF5 failed to close it. */
int cs_h5_close(hid_t *id);

/* Creates (truncating) an HDF5 file at path in the file format of HDF5 1.8
 * to 1.10, whose metadata (superblock, object headers, chunk indexes) all
 * carry checksums. Returns the open file, or H5I_INVALID_HID (HDF5's error
 * left on its stack for cs_h5_fail). */
hid_t cs_h5_create_file(const char *path);

/* A new variable-length UTF-8 string type (close with cs_h5_close). */
hid_t cs_h5_string_type(void);

/* Attribute writers on object loc (a file, group or dataset). Each returns
 * CS_OK or CS_EIO with err. */
int cs_h5_attr_string(hid_t loc, const char *name, const char *value, cs_error *err);
int cs_h5_attr_strings(hid_t loc, const char *name, const char *const *values, size_t n,
                       cs_error *err);
int cs_h5_attr_double(hid_t loc, const char *name, double value, cs_error *err);
int cs_h5_attr_u64(hid_t loc, const char *name, uint64_t value, cs_error *err);
int cs_h5_attr_ints(hid_t loc, const char *name, const int *values, size_t n, cs_error *err);

/* Writes the attribute `dimensions` (the names of its axes, n of them) on
 * the dataset loc/name. CS_OK or CS_EIO. */
int cs_h5_name_axes(hid_t loc, const char *name, const char *const *axes, size_t n, cs_error *err);

/* Writes `units` and `description` attributes (the documentation every
 * numeric dataset carries). */
int cs_h5_document(hid_t loc, const char *units, const char *description, cs_error *err);

/* ------------------------------------------- checksums of strings
 *
 * Variable-length strings live in HDF5's global heap, which has no
 * checksum (Fletcher32 on a dataset covers only the references into the
 * heap). So every dataset holding strings carries the attribute
 * CS_H5_STRINGS_CRC: the CRC-32 (core/crc32.h) of its strings in storage
 * order — row by row, and in a table the string columns of a row in column
 * order — each followed by its terminating NUL byte. */
#define CS_H5_STRINGS_CRC "strings_crc32"

/* The CRC of n strings (NULL counts as "") continued from crc (0 to start). */
uint32_t cs_h5_strings_crc(uint32_t crc, const char *const *values, size_t n);

/* Writes crc as loc's CS_H5_STRINGS_CRC attribute (uint32). CS_OK or CS_EIO. */
int cs_h5_attr_crc(hid_t loc, uint32_t crc, cs_error *err);

/* Compares crc, computed from the strings read from loc, with loc's
 * CS_H5_STRINGS_CRC attribute. CS_OK when they match or loc has none (files
 * before format 1.2); otherwise CS_EFORMAT, "damaged file: the strings of
 * <what> do not match their checksum". */
int cs_h5_check_crc(hid_t loc, uint32_t crc, const char *what, cs_error *err);

/* Writes a 1-D dataset of n variable-length UTF-8 strings at loc/name with
 * its CS_H5_STRINGS_CRC attribute. Chunked (cs_h5_create_rows), though HDF5
 * allows no filter, Fletcher32 included, on strings: HDF5 1.10.8 corrupts a
 * file of format 1.8 or later (cs_h5_create_file) when a contiguous dataset
 * of more than about 80,000 variable-length strings is written into it,
 * and a chunked one is safe. */
int cs_h5_write_strings(hid_t loc, const char *name, const char *const *values, size_t n,
                        cs_error *err);

/* Attribute readers. cs_h5_read_attr_string allocates *out (free()); it
 * accepts fixed- or variable-length strings. The numeric readers convert to
 * the requested type (HDF5 refuses out-of-range values). Each returns CS_OK,
 * CS_EFORMAT (missing or of the wrong kind, with err naming it) or CS_ENOMEM. */
int cs_h5_read_attr_string(hid_t loc, const char *name, char **out, cs_error *err);
int cs_h5_read_attr_u64(hid_t loc, const char *name, uint64_t *out, cs_error *err);
int cs_h5_read_attr_double(hid_t loc, const char *name, double *out, cs_error *err);
int cs_h5_read_attr_ints(hid_t loc, const char *name, int *out, size_t n, cs_error *err);

/* Whether loc has the optional string attribute name with the value value:
 * *out is false when the attribute is absent or holds another string (a
 * flag files of earlier builds lack). Returns CS_OK, or
 * cs_h5_read_attr_string's error when it exists but cannot be read. */
int cs_h5_attr_string_is(hid_t loc, const char *name, const char *value, bool *out, cs_error *err);

/* Reads a 1-D attribute of variable-length strings into a new array of *n new
 * strings (free with cs_h5_free_strings). */
int cs_h5_read_attr_strings(hid_t loc, const char *name, char ***out, size_t *n, cs_error *err);

/* Reads the 1-D string dataset loc/name into a new array of n new strings
 * (free with cs_h5_free_strings), checking its CS_H5_STRINGS_CRC if it has
 * one. Returns CS_OK, CS_EFORMAT (missing, not strings, damaged) or
 * CS_ENOMEM. */
int cs_h5_read_strings(hid_t loc, const char *name, char ***out, size_t *n, cs_error *err);

/* The number of entries of the 1-D dataset loc/path into *n, without
 * reading them. Returns CS_OK, or CS_EFORMAT (missing, not 1-D, or more than
 * CS_H5_MAX_STRINGS entries; err may be NULL). */
int cs_h5_count(hid_t loc, const char *path, size_t *n, cs_error *err);

/* The most entries a string list of a results file may have (the longest,
 * /scenario/variants, has at most 1 + 64 + 64): a damaged file claiming more
 * is refused before anything is allocated for it. */
#define CS_H5_MAX_STRINGS 4096

/* The longest fixed-length string attribute read (the scenario's own text,
 * at most CS_MAX_FILE_BYTES, is the longest string a results file holds). */
#define CS_H5_MAX_STRING_BYTES (8 << 20)

/* ------------------------------------------- datasets that grow by rows
 *
 * A dataset of rows: axis 0 counts rows (unlimited), the other `rank` axes
 * have the fixed lengths row_shape[0 .. rank - 1] (rank 0: one value per
 * row). At most CS_H5_MAX_ROW_RANK axes after the first. */
#define CS_H5_MAX_ROW_RANK 4

/* Creates loc/name with file type ftype and no rows, chunked along axis 0
 * (about 64 KiB per chunk, at most 1024 rows), shuffled and deflated when
 * HDF5 has zlib, and with a Fletcher32 checksum of each chunk as stored
 * (HDF5 checks it whenever the chunk is read); a dataset of
 * variable-length strings without filters (HDF5 refuses them: see
 * CS_H5_STRINGS_CRC for its checksum). row_bytes is one row's size in
 * memory; rows, if not 0, the rows it will hold (a smaller dataset gets a
 * smaller chunk: a chunk is stored whole, and unfiltered strings are not
 * compressed). An axis of a row may be empty (length 0): rows then hold
 * nothing, and appending or reading them only counts them. Returns the open
 * dataset, or H5I_INVALID_HID with err (CS_EIO). */
hid_t cs_h5_create_rows(hid_t loc, const char *name, hid_t ftype, int rank,
                        const hsize_t *row_shape, size_t row_bytes, uint64_t rows, cs_error *err);

/* Extends ds to at + n rows and writes rows [at, at + n) from buf, of memory
 * type mtype. what names ds in messages. Returns CS_OK or CS_EIO. */
int cs_h5_append_rows(hid_t ds, hid_t mtype, int rank, const hsize_t *row_shape, uint64_t at,
                      uint64_t n, const void *buf, const char *what, cs_error *err);

/* Reads rows [first, first + n) of ds into buf (memory type mtype; ds's
 * rows must have row_shape). Returns CS_OK or CS_EIO. */
int cs_h5_read_rows(hid_t ds, hid_t mtype, int rank, const hsize_t *row_shape, uint64_t first,
                    uint64_t n, void *buf, const char *what, cs_error *err);

/* Shrinks ds along axis 0 to rows (no-op if it has no more). Returns CS_OK
 * or CS_EIO. */
int cs_h5_shrink_rows(hid_t ds, uint64_t rows, const char *what, cs_error *err);

/* Whether the dataset ds can hold `bytes` bytes of values in what it
 * stores: at most 1100 times its stored size (deflate's limit is about
 * 1032:1) plus 1 MiB. A damaged file may claim rows it does not store, which
 * HDF5 would return as fill values: a reader must not allocate or read
 * gigabytes for a few bytes of file. */
bool cs_h5_stores(hid_t ds, double bytes);

/* ------------------------------------------- fixed arrays (h5array.c) */

/* The most elements a fixed array of a results file may have (a damaged
 * file claiming more is refused before anything is allocated). */
#define CS_H5_MAX_ARRAY ((size_t)1 << 28)

/* Writes (replacing) the rank-dimensional dataset loc/name (1 <= rank <=
 * CS_H5_MAX_ROW_RANK + 1) of type (a number type of casesim/schema.h) with
 * shape dims and values data (row-major), chunked along its first axis with
 * a Fletcher32 checksum (cs_h5_create_rows), with `units` and `description` attributes and,
 * when dim_names is given, `dimensions`. Returns CS_OK or CS_EIO. */
int cs_h5_write_array(hid_t loc, const char *name, cs_type type, int rank, const size_t *dims,
                      const void *data, const char *units, const char *description,
                      const char *const *dim_names, cs_error *err);

/* Reads loc/name whole into a new array *out (free()) of type's memory
 * type. It must have rank axes, axis i of length dims[i] (0: any; the length
 * found is written back), at most CS_H5_MAX_ARRAY elements and store them.
 * Returns CS_OK, CS_EFORMAT (missing, another shape, damaged) or
 * CS_ENOMEM. */
int cs_h5_read_array(hid_t loc, const char *name, cs_type type, int rank, size_t *dims, void **out,
                     cs_error *err);

/* A 1-D attribute of n doubles (replacing one of that name), and its
 * reader into a new array of *n values (at most CS_H5_MAX_STRINGS). */
int cs_h5_attr_doubles(hid_t loc, const char *name, const double *values, size_t n, cs_error *err);
int cs_h5_read_attr_doubles(hid_t loc, const char *name, double **out, size_t *n, cs_error *err);

/* Frees n strings and the array. NULL is a no-op. */
void cs_h5_free_strings(char **s, size_t n);

#endif
