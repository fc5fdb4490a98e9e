/*
 * lccu.fs._tskbody: the bodyfile lines of one volume, walked in C over The Sleuth Kit's
 * library (libtsk, Debian's libtsk-dev), the image read through a Python callable.
 *
 * Why C: through pytsk3 every name costs Python objects for its TSK_FS_FILE, name and meta
 * records and one call per field; on 500,000 names that is several times the whole cost
 * of `fls -m` (docs/benchmarks.md, Timeline). Here a name costs one formatted line in a
 * buffer; the buffer goes to Python as text in large pieces.
 *
 * The image is never opened by TSK itself: an external TSK image whose read function
 * calls `read(offset, length) -> bytes` of lccu's own reader (E01, VMDK, QCOW2, S3 ranged
 * reads: lccu.imaging.tsk.TskImage.read), so nothing is copied to local disk and memory
 * is TSK's 2 MiB image cache plus the directory being listed. Where that reader is a plain
 * local file (a raw image, media = file), it hands over the read-only descriptor it opened
 * (`fd`), and TSK's reads become `pread` calls here: the same bytes without a Python call,
 * a bytes object and a block-cache lookup per 64 KiB read (docs/benchmarks.md, Timeline).
 *
 * The walk and the lines are lccu.fs.fastbody's (Python) walk, line for line and in the
 * same order: depth first, directory order, each directory entered once, a depth limit,
 * problems reported through `problem(where, message)`, `over()` asked between
 * directories and every CHECK_EVERY lines (a True answer stops the walk). Tests compare
 * both paths with each other and with `fls -m`.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <errno.h>
#include <unistd.h>

#include <tsk/libtsk.h>

#define FLUSH_AT (1 << 20)   /* bytes of lines handed to write() at a time */
#define CHECK_EVERY 512      /* lines between two calls of over() */

/* Raised when libtsk cannot open the file system (nothing written yet): the caller may
 * walk it another way. Any other error may come after lines were written. */
static PyObject *OpenError;

/* ---------- the image: a TSK external image reading through Python ---------- */

typedef struct {
    TSK_IMG_INFO img;        /* first member: TSK casts between the two */
    PyObject *read;          /* read(offset, length) -> bytes */
    int fd;                  /* >= 0: a read-only local file holding the media, read here */
    PyObject *fatal;         /* a BaseException (not Exception) raised by read: re-raised */
} PyImage;

static void set_fatal(PyImage *image)
{
    PyObject *type, *value, *trace;
    PyErr_Fetch(&type, &value, &trace);
    PyErr_NormalizeException(&type, &value, &trace);
    if (value != NULL && trace != NULL)
        PyException_SetTraceback(value, trace);
    Py_XDECREF(type);
    Py_XDECREF(trace);
    Py_XDECREF(image->fatal);
    image->fatal = value;
}

/* `len` bytes at `offset` of the local file (fewer only at its end), as TSK wants them. */
static ssize_t descriptor_read(PyImage *image, TSK_OFF_T offset, char *buf, size_t len)
{
    size_t got = 0;
    if (offset >= image->img.size)
        return 0;
    if ((TSK_OFF_T)len > image->img.size - offset)
        len = (size_t)(image->img.size - offset);
    while (got < len) {
        ssize_t n = pread(image->fd, buf + got, len - got, (off_t)(offset + (TSK_OFF_T)got));
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            tsk_error_reset();
            tsk_error_set_errno(TSK_ERR_IMG_READ);
            tsk_error_set_errstr("image read of %zu bytes at offset %lld failed: %s", len,
                                 (long long)offset, strerror(errno));
            return -1;
        }
        if (n == 0)
            break;
        got += (size_t)n;
    }
    return (ssize_t)got;
}

static ssize_t image_read(TSK_IMG_INFO *img, TSK_OFF_T offset, char *buf, size_t len)
{
    PyImage *image = (PyImage *)img;
    PyObject *data;
    char *bytes;
    Py_ssize_t got;

    if (image->fatal != NULL)
        return -1;
    if (image->fd >= 0)
        return descriptor_read(image, offset, buf, len);
    data = PyObject_CallFunction(image->read, "Ln", (long long)offset, (Py_ssize_t)len);
    if (data == NULL) {
        if (PyErr_ExceptionMatches(PyExc_Exception)) {
            /* a read error of the evidence: TSK reports it, the walk records a problem */
            PyObject *type, *value, *trace, *text;
            PyErr_Fetch(&type, &value, &trace);
            text = value != NULL ? PyObject_Str(value) : NULL;
            tsk_error_reset();
            tsk_error_set_errno(TSK_ERR_IMG_READ);
            tsk_error_set_errstr("image read of %zu bytes at offset %lld failed: %s", len,
                                 (long long)offset,
                                 text != NULL ? PyUnicode_AsUTF8(text) : "(no message)");
            PyErr_Clear();
            Py_XDECREF(text);
            Py_XDECREF(type);
            Py_XDECREF(value);
            Py_XDECREF(trace);
        } else {
            set_fatal(image);  /* KeyboardInterrupt, SystemExit...: stop and re-raise */
        }
        return -1;
    }
    if (PyBytes_AsStringAndSize(data, &bytes, &got) < 0) {
        set_fatal(image);
        Py_DECREF(data);
        return -1;
    }
    if ((size_t)got > len)
        got = (Py_ssize_t)len;
    memcpy(buf, bytes, (size_t)got);
    Py_DECREF(data);
    return (ssize_t)got;
}

static void image_close(TSK_IMG_INFO *img)
{
    PyImage *image = (PyImage *)img;
    Py_XDECREF(image->read);
    Py_XDECREF(image->fatal);
    free(image);
}

static void image_stat(TSK_IMG_INFO *img, FILE *out)
{
    (void)img;
    fprintf(out, "lccu image stream\n");
}

/* ---------- growing byte buffers ---------- */

typedef struct {
    char *data;
    size_t len;
    size_t cap;
} Buf;

static int buf_reserve(Buf *b, size_t more)
{
    if (b->len + more <= b->cap)
        return 0;
    size_t cap = b->cap ? b->cap : 256;
    while (cap < b->len + more)
        cap *= 2;
    char *data = realloc(b->data, cap);
    if (data == NULL) {
        PyErr_NoMemory();
        return -1;
    }
    b->data = data;
    b->cap = cap;
    return 0;
}

static int buf_add(Buf *b, const char *text, size_t len)
{
    if (buf_reserve(b, len) < 0)
        return -1;
    memcpy(b->data + b->len, text, len);
    b->len += len;
    return 0;
}

static int buf_str(Buf *b, const char *text)
{
    return buf_add(b, text, strlen(text));
}

/* Control characters (below 0x20) as '^', as fls prints names. */
static int buf_sanitized(Buf *b, const char *text)
{
    size_t len = strlen(text);
    if (buf_reserve(b, len) < 0)
        return -1;
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)text[i];
        b->data[b->len + i] = c < 0x20 ? '^' : (char)c;
    }
    b->len += len;
    return 0;
}

static int buf_printf(Buf *b, const char *format, ...)
{
    va_list args;
    char small[256];
    va_start(args, format);
    int n = vsnprintf(small, sizeof small, format, args);
    va_end(args);
    if (n < 0)
        return 0;
    if ((size_t)n < sizeof small)
        return buf_add(b, small, (size_t)n);
    if (buf_reserve(b, (size_t)n + 1) < 0)
        return -1;
    va_start(args, format);
    vsnprintf(b->data + b->len, (size_t)n + 1, format, args);
    va_end(args);
    b->len += (size_t)n;
    return 0;
}

/* Decimal digits of `value` after `sep` (printf costs more than the rest of a line), two
 * digits at a time. */
static const char PAIRS[] =
    "00010203040506070809101112131415161718192021222324252627282930313233343536373839"
    "40414243444546474849505152535455565758596061626364656667686970717273747576777879"
    "8081828384858687888990919293949596979899";

static int buf_number(Buf *b, char sep, unsigned long long value, int negative)
{
    char digits[24];
    int n = sizeof digits;
    if (buf_reserve(b, 24) < 0)
        return -1;
    while (value >= 100) {
        unsigned pair = (unsigned)(value % 100) * 2;
        value /= 100;
        digits[--n] = PAIRS[pair + 1];
        digits[--n] = PAIRS[pair];
    }
    if (value >= 10) {
        digits[--n] = PAIRS[value * 2 + 1];
        digits[--n] = PAIRS[value * 2];
    } else {
        digits[--n] = (char)('0' + value);
    }
    b->data[b->len++] = sep;
    if (negative)
        b->data[b->len++] = '-';
    memcpy(b->data + b->len, digits + n, sizeof digits - (size_t)n);
    b->len += sizeof digits - (size_t)n;
    return 0;
}

static int buf_unsigned(Buf *b, char sep, unsigned long long value)
{
    return buf_number(b, sep, value, 0);
}

static int buf_signed(Buf *b, char sep, long long value)
{
    return value < 0 ? buf_number(b, sep, 0ULL - (unsigned long long)value, 1)
                     : buf_number(b, sep, (unsigned long long)value, 0);
}

/* ---------- the walk ---------- */

typedef struct {
    TSK_INUM_T inode;
    char *path;     /* raw bytes, for problems */
    char *shown;    /* sanitised, as printed */
    int depth;
    int tsk_walks;  /* TSK's own recursive walk from the root would list it too */
} Pending;

typedef struct {
    Pending *items;
    size_t len;
    size_t cap;
} Stack;

typedef struct {
    TSK_FS_INFO *fs;
    PyImage *image;
    PyObject *write, *problem, *over;
    long volume;
    int max_depth;
    Buf out;
    unsigned long long written;   /* lines */
    unsigned long long since_check;
    int stopped;                  /* over() said so */
    /* visited directory inodes: open addressing, 0 marks an empty slot (+1 offset) */
    TSK_INUM_T *seen;
    size_t seen_len, seen_cap;
    /* Unallocated inodes that names point to, as TSK's recursive walk collects them for
     * the orphan search (see orphan_list below); `exact` drops to 0 at the first thing
     * that could make ours differ from TSK's (a problem, a skipped directory). */
    TSK_LIST *named;
    int exact;
} Walk;

/* Opening $OrphanFiles makes TSK search for orphans, and for that it needs the unallocated
 * inodes that some name points to. fls gets them free from its own recursive walk
 * (tsk_fs_dir_walk from the root records them); a walk like ours, directory by directory,
 * would make TSK walk the whole tree a second time to find them: on 500,000 names that
 * doubled the cost. So the walk records them by TSK's rules (entries of directories its
 * walk enters, whose metadata is unallocated) and hands the list to TSK just before the
 * orphan directory is opened, when every other directory is done; where anything could
 * make the lists differ, TSK makes its own (slower, same result). */
static void orphan_list(Walk *w, const Pending *dir, size_t pending)
{
    if (dir->inode != TSK_FS_ORPHANDIR_INUM(w->fs) || pending != 0 || !w->exact
        || w->named == NULL || w->fs->list_inum_named != NULL)
        return;
    w->fs->list_inum_named = w->named;  /* TSK frees it with the file system */
    w->named = NULL;
}

/* Records an unallocated inode a name points to, where TSK's walk would. */
static void note_named(Walk *w, const Pending *dir, const TSK_FS_META *meta)
{
    if (dir->tsk_walks && meta != NULL && (meta->flags & TSK_FS_META_FLAG_UNALLOC)
        && w->exact && tsk_list_add(&w->named, meta->addr)) {
        tsk_error_reset();
        w->exact = 0;
    }
}

/* Whether TSK's recursive walk would enter this directory name (fs_dir.c's rules). */
static int tsk_would_enter(const Walk *w, const Pending *dir, const TSK_FS_NAME *name,
                           const TSK_FS_META *meta)
{
    return dir->tsk_walks
        && (TSK_FS_IS_DIR_NAME(name->type) || name->type == TSK_FS_NAME_TYPE_UNDEF)
        && TSK_FS_IS_DIR_META(meta->type)
        && ((name->flags & TSK_FS_NAME_FLAG_ALLOC)
            || ((name->flags & TSK_FS_NAME_FLAG_UNALLOC)
                && (meta->flags & TSK_FS_META_FLAG_UNALLOC)))
        && name->meta_addr != TSK_FS_ORPHANDIR_INUM(w->fs);
}

static const char NAME_LETTERS[TSK_FS_NAME_TYPE_STR_MAX] = {
    [TSK_FS_NAME_TYPE_UNDEF] = '-', [TSK_FS_NAME_TYPE_FIFO] = 'p',
    [TSK_FS_NAME_TYPE_CHR] = 'c', [TSK_FS_NAME_TYPE_DIR] = 'd',
    [TSK_FS_NAME_TYPE_BLK] = 'b', [TSK_FS_NAME_TYPE_REG] = 'r',
    [TSK_FS_NAME_TYPE_LNK] = 'l', [TSK_FS_NAME_TYPE_SOCK] = 's',
    [TSK_FS_NAME_TYPE_SHAD] = 'h', [TSK_FS_NAME_TYPE_WHT] = 'w',
    [TSK_FS_NAME_TYPE_VIRT] = 'v', [TSK_FS_NAME_TYPE_VIRT_DIR] = 'V',
};
static const char META_LETTERS[TSK_FS_META_TYPE_STR_MAX] = {
    [TSK_FS_META_TYPE_UNDEF] = '-', [TSK_FS_META_TYPE_REG] = 'r',
    [TSK_FS_META_TYPE_DIR] = 'd', [TSK_FS_META_TYPE_FIFO] = 'p',
    [TSK_FS_META_TYPE_CHR] = 'c', [TSK_FS_META_TYPE_BLK] = 'b',
    [TSK_FS_META_TYPE_LNK] = 'l', [TSK_FS_META_TYPE_SHAD] = 'h',
    [TSK_FS_META_TYPE_SOCK] = 's', [TSK_FS_META_TYPE_WHT] = 'w',
    [TSK_FS_META_TYPE_VIRT] = 'v', [TSK_FS_META_TYPE_VIRT_DIR] = 'V',
};

static char name_letter(unsigned type)
{
    return type < TSK_FS_NAME_TYPE_STR_MAX ? NAME_LETTERS[type] : '-';
}

static char meta_letter(unsigned type)
{
    return type < TSK_FS_META_TYPE_STR_MAX ? META_LETTERS[type] : '-';
}

/* Permission letters like `ls -l` (set-id and sticky included), as Python's
 * stat.filemode(mode & 0o7777)[1:] gives them. */
static void permissions(unsigned mode, char out[10])
{
    out[0] = mode & 0400 ? 'r' : '-';
    out[1] = mode & 0200 ? 'w' : '-';
    out[2] = mode & 04000 ? (mode & 0100 ? 's' : 'S') : (mode & 0100 ? 'x' : '-');
    out[3] = mode & 040 ? 'r' : '-';
    out[4] = mode & 020 ? 'w' : '-';
    out[5] = mode & 02000 ? (mode & 010 ? 's' : 'S') : (mode & 010 ? 'x' : '-');
    out[6] = mode & 04 ? 'r' : '-';
    out[7] = mode & 02 ? 'w' : '-';
    out[8] = mode & 01000 ? (mode & 01 ? 't' : 'T') : (mode & 01 ? 'x' : '-');
    out[9] = '\0';
}

static size_t seen_slot(const Walk *w, TSK_INUM_T key)
{
    size_t i = (size_t)((key * 0x9E3779B97F4A7C15ULL) >> 20) & (w->seen_cap - 1);
    while (w->seen[i] != 0 && w->seen[i] != key)
        i = (i + 1) & (w->seen_cap - 1);
    return i;
}

static int seen_has(const Walk *w, TSK_INUM_T inode)
{
    return w->seen[seen_slot(w, inode + 1)] != 0;
}

static int seen_add(Walk *w, TSK_INUM_T inode)
{
    if ((w->seen_len + 1) * 2 > w->seen_cap) {
        size_t old_cap = w->seen_cap;
        TSK_INUM_T *old = w->seen;
        w->seen_cap = old_cap ? old_cap * 2 : 1024;
        w->seen = calloc(w->seen_cap, sizeof(TSK_INUM_T));
        if (w->seen == NULL) {
            w->seen = old;
            w->seen_cap = old_cap;
            PyErr_NoMemory();
            return -1;
        }
        for (size_t i = 0; i < old_cap; i++)
            if (old[i] != 0)
                w->seen[seen_slot(w, old[i])] = old[i];
        free(old);
    }
    size_t i = seen_slot(w, inode + 1);
    if (w->seen[i] == 0) {
        w->seen[i] = inode + 1;
        w->seen_len++;
    }
    return 0;
}

static int flush(Walk *w)
{
    if (w->out.len == 0)
        return 0;
    PyObject *text = PyUnicode_DecodeUTF8(w->out.data, (Py_ssize_t)w->out.len, "replace");
    if (text == NULL)
        return -1;
    w->out.len = 0;
    PyObject *result = PyObject_CallOneArg(w->write, text);
    Py_DECREF(text);
    if (result == NULL)
        return -1;
    Py_DECREF(result);
    return 0;
}

/* problem(where, message); `where` is "volume N:<path>" plus `suffix`. */
static int report(Walk *w, const char *path, const char *suffix, const char *message)
{
    Buf where = {0};
    int rc = -1;
    w->exact = 0;
    if (buf_printf(&where, "volume %ld:%s%s", w->volume, path, suffix) < 0)
        goto done;
    PyObject *where_text = PyUnicode_DecodeUTF8(where.data, (Py_ssize_t)where.len, "replace");
    PyObject *message_text = PyUnicode_DecodeUTF8(message, (Py_ssize_t)strlen(message),
                                                  "replace");
    if (where_text != NULL && message_text != NULL) {
        PyObject *result = PyObject_CallFunctionObjArgs(w->problem, where_text, message_text,
                                                        NULL);
        if (result != NULL) {
            Py_DECREF(result);
            rc = 0;
        }
    }
    Py_XDECREF(where_text);
    Py_XDECREF(message_text);
done:
    free(where.data);
    return rc;
}

/* The first line of TSK's error text (what lccu.fs.walk._first_line keeps). */
static void tsk_message(const char *prefix, char *out, size_t size)
{
    const char *error = tsk_error_get();
    size_t n;
    if (error == NULL)
        error = "unknown error";
    while (*error == '\n' || *error == ' ')
        error++;
    n = strcspn(error, "\n");
    snprintf(out, size, "%s%.*s", prefix, (int)n, error);
    tsk_error_reset();
}

/* Asks over(); returns -1 on a Python error, 1 to stop, 0 to go on. */
static int out_of_time(Walk *w)
{
    if (w->over == Py_None)
        return 0;
    PyObject *answer = PyObject_CallNoArgs(w->over);
    if (answer == NULL)
        return -1;
    int stop = PyObject_IsTrue(answer);
    Py_DECREF(answer);
    if (stop > 0)
        w->stopped = 1;
    return stop;
}

static int push(Stack *s, TSK_INUM_T inode, const char *path, size_t path_len,
                const char *shown, size_t shown_len, int depth, int tsk_walks)
{
    if (s->len == s->cap) {
        size_t cap = s->cap ? s->cap * 2 : 64;
        Pending *items = realloc(s->items, cap * sizeof(Pending));
        if (items == NULL) {
            PyErr_NoMemory();
            return -1;
        }
        s->items = items;
        s->cap = cap;
    }
    Pending *p = &s->items[s->len];
    p->path = malloc(path_len + 1);
    p->shown = malloc(shown_len + 1);
    if (p->path == NULL || p->shown == NULL) {
        free(p->path);
        free(p->shown);
        PyErr_NoMemory();
        return -1;
    }
    memcpy(p->path, path, path_len);
    p->path[path_len] = '\0';
    memcpy(p->shown, shown, shown_len);
    p->shown[shown_len] = '\0';
    p->inode = inode;
    p->depth = depth;
    p->tsk_walks = tsk_walks;
    s->len++;
    return 0;
}

/* One line for one name; appends the name to `children` when it is a directory to enter.
 * Returns -1 on a Python error, 0 otherwise. */
static int entry(Walk *w, const Pending *dir, TSK_FS_FILE *file, Stack *children,
                 Buf *child_path, Buf *child_shown)
{
    const TSK_FS_NAME *name = file->name;
    TSK_FS_META *meta = file->meta;
    TSK_FS_FILE *loaded = NULL;
    TSK_INUM_T meta_addr = name->meta_addr;
    char letters[10];
    int rc = -1;

    child_path->len = 0;
    child_shown->len = 0;
    if (buf_str(child_path, dir->path) < 0 || buf_add(child_path, "/", 1) < 0
        || buf_str(child_path, name->name) < 0 || buf_add(child_path, "", 1) < 0
        || buf_str(child_shown, dir->shown) < 0 || buf_add(child_shown, "/", 1) < 0
        || buf_sanitized(child_shown, name->name) < 0)
        return -1;
    child_path->len--;  /* keep the NUL out of the length */

    note_named(w, dir, meta);
    if (meta == NULL && meta_addr != 0) {
        /* orphan and some deleted names come without metadata: load it, as fls */
        loaded = tsk_fs_file_open_meta(w->fs, NULL, meta_addr);
        if (loaded == NULL)
            tsk_error_reset();
        else
            meta = loaded->meta;
    }
    int allocated = !(name->flags & TSK_FS_NAME_FLAG_UNALLOC);
    Buf *out = &w->out;
    if (buf_add(out, "0|", 2) < 0 || buf_add(out, child_shown->data, child_shown->len) < 0)
        goto done;
    if (meta == NULL) {
        char tail[] = "|?/----------|0|0|0|0|0|0|0\n";
        tail[1] = name_letter(name->type);
        if ((!allocated && buf_str(out, " (deleted)") < 0)
            || buf_unsigned(out, '|', (unsigned long long)meta_addr) < 0
            || buf_add(out, tail, sizeof tail - 1) < 0)
            goto done;
        w->written++;
        rc = 0;
        goto done;
    }
    if (meta->type == TSK_FS_META_TYPE_LNK && meta->link != NULL && meta->link[0] != '\0'
        && (buf_add(out, " -> ", 4) < 0 || buf_str(out, meta->link) < 0))
        goto done;
    if (!allocated
        && buf_str(out, meta->flags & TSK_FS_META_FLAG_ALLOC ? " (deleted-realloc)"
                                                             : " (deleted)") < 0)
        goto done;
    char mode[14] = "|?/?";  /* |name/meta letters, then 9 permission letters */
    mode[1] = name_letter(name->type);
    mode[3] = meta_letter(meta->type);
    permissions((unsigned)meta->mode, letters);
    memcpy(mode + 4, letters, 9);
    /* times as fls prints them: whole seconds, unsigned 32-bit */
    if (buf_unsigned(out, '|', (unsigned long long)meta_addr) < 0
        || buf_add(out, mode, 13) < 0
        || buf_unsigned(out, '|', (unsigned long long)meta->uid) < 0
        || buf_unsigned(out, '|', (unsigned long long)meta->gid) < 0
        || buf_signed(out, '|', (long long)meta->size) < 0
        || buf_unsigned(out, '|', (uint32_t)meta->atime) < 0
        || buf_unsigned(out, '|', (uint32_t)meta->mtime) < 0
        || buf_unsigned(out, '|', (uint32_t)meta->ctime) < 0
        || buf_unsigned(out, '|', (uint32_t)meta->crtime) < 0
        || buf_add(out, "\n", 1) < 0)
        goto done;
    w->written++;
    rc = 0;
    if (!TSK_FS_IS_DIR_META(meta->type))
        goto done;
    if (seen_has(w, meta_addr)) {
        char message[160];
        snprintf(message, sizeof message,
                 "directory inode %llu already listed; not entered again",
                 (unsigned long long)meta_addr);
        rc = report(w, child_path->data, "", message);
        goto done;
    }
    if (dir->depth + 1 > w->max_depth) {
        char message[80];
        snprintf(message, sizeof message, "deeper than %d levels; not entered", w->max_depth);
        rc = report(w, child_path->data, "", message);
        goto done;
    }
    int tsk_walks = tsk_would_enter(w, dir, name, meta);
    if (tsk_walks && (dir->depth + 1 >= 128 || child_path->len >= 3500))
        w->exact = 0;  /* TSK's walk stops at 128 levels or 4,096-byte paths; ours goes on */
    if (seen_add(w, meta_addr) < 0
        || push(children, meta_addr, child_path->data, child_path->len, child_shown->data,
                child_shown->len, dir->depth + 1, tsk_walks) < 0)
        rc = -1;
done:
    if (loaded != NULL)
        tsk_fs_file_close(loaded);
    return rc;
}

/* The lines of one directory. Returns -1 on a Python error, 1 when over() stopped. */
static int directory(Walk *w, const Pending *dir, Stack *stack)
{
    char message[600];
    char suffix[64];
    const char *shown_path = dir->path[0] ? dir->path : "/";
    snprintf(suffix, sizeof suffix, " (inode %llu)", (unsigned long long)dir->inode);

    TSK_FS_DIR *tsk_dir = tsk_fs_dir_open_meta(w->fs, dir->inode);
    if (tsk_dir == NULL) {
        if (w->image->fatal != NULL)
            return -1;
        tsk_message("cannot open directory: ", message, sizeof message);
        return report(w, shown_path, suffix, message);
    }
    Stack children = {0};
    Buf child_path = {0}, child_shown = {0};
    int rc = 0;
    size_t count = tsk_fs_dir_getsize(tsk_dir);
    for (size_t i = 0; i < count; i++) {
        if (w->image->fatal != NULL) {
            rc = -1;
            break;
        }
        if (w->since_check >= CHECK_EVERY) {
            w->since_check = 0;
            if ((rc = out_of_time(w)) != 0)
                break;
        }
        TSK_FS_FILE *file = tsk_fs_dir_get(tsk_dir, i);
        if (file == NULL) {
            if (w->image->fatal != NULL) {
                rc = -1;
                break;
            }
            tsk_message("directory listing stopped: ", message, sizeof message);
            rc = report(w, shown_path, suffix, message);
            break;
        }
        const char *raw = file->name != NULL ? file->name->name : NULL;
        if (raw == NULL || strcmp(raw, ".") == 0 || strcmp(raw, "..") == 0) {
            /* not listed, but TSK's walk records them for the orphan search too */
            note_named(w, dir, file->meta);
            tsk_fs_file_close(file);
            continue;
        }
        unsigned long long before = w->written;
        rc = entry(w, dir, file, &children, &child_path, &child_shown);
        tsk_fs_file_close(file);
        if (rc < 0)
            break;
        w->since_check += w->written - before;
        if (w->out.len >= FLUSH_AT && (rc = flush(w)) < 0)
            break;
    }
    tsk_fs_dir_close(tsk_dir);
    /* children in reverse, so the first child is listed next (depth first) */
    while (children.len > 0) {
        Pending *child = &children.items[--children.len];
        if (rc == 0) {
            if (stack->len == stack->cap) {
                size_t cap = stack->cap ? stack->cap * 2 : 64;
                Pending *items = realloc(stack->items, cap * sizeof(Pending));
                if (items == NULL) {
                    PyErr_NoMemory();
                    rc = -1;
                } else {
                    stack->items = items;
                    stack->cap = cap;
                }
            }
        }
        if (rc == 0) {
            stack->items[stack->len++] = *child;
        } else {
            free(child->path);
            free(child->shown);
        }
    }
    free(children.items);
    free(child_path.data);
    free(child_shown.data);
    return rc;
}

static PyObject *volume_lines(PyObject *module, PyObject *args, PyObject *kwargs)
{
    static char *keywords[] = {"read", "size", "offset", "ftype", "volume", "write",
                               "problem", "over", "max_depth", "fd", NULL};
    PyObject *read, *write, *problem, *over;
    long long size, offset;
    unsigned long ftype;
    long volume;
    int max_depth;
    int fd = -1;
    (void)module;
    if (!PyArg_ParseTupleAndKeywords(args, kwargs, "OLLklOOOi|i:volume_lines", keywords,
                                     &read, &size, &offset, &ftype, &volume, &write, &problem,
                                     &over, &max_depth, &fd))
        return NULL;

    PyImage *image = calloc(1, sizeof(PyImage));  /* zeroed: TSK's cache starts empty */
    if (image == NULL)
        return PyErr_NoMemory();
    Py_INCREF(read);
    image->read = read;
    image->fd = fd;
    if (tsk_img_open_external(image, (TSK_OFF_T)size, 512, image_read, image_close,
                              image_stat) == NULL) {
        char message[600];
        tsk_message("", message, sizeof message);
        image_close(&image->img);
        PyErr_Format(OpenError, "cannot open the image for The Sleuth Kit: %s", message);
        return NULL;
    }
    TSK_FS_INFO *fs = tsk_fs_open_img(&image->img, (TSK_OFF_T)offset, TSK_FS_TYPE_DETECT);
    if (fs == NULL || (unsigned long)fs->ftype != ftype) {
        char message[600];
        PyObject *fatal = image->fatal;
        if (fs == NULL) {
            tsk_message("", message, sizeof message);
        } else {
            snprintf(message, sizeof message, "libtsk found %s, not the file system expected",
                     tsk_fs_type_toname(fs->ftype));
            tsk_fs_close(fs);
        }
        image->fatal = NULL;
        tsk_img_close(&image->img);
        if (fatal != NULL) {
            PyErr_SetObject((PyObject *)Py_TYPE(fatal), fatal);
            Py_DECREF(fatal);
            return NULL;
        }
        PyErr_Format(OpenError, "cannot open the file system at byte %lld: %s", offset,
                     message);
        return NULL;
    }

    Walk w = {0};
    w.fs = fs;
    w.image = image;
    w.write = write;
    w.problem = problem;
    w.over = over;
    w.volume = volume;
    w.max_depth = max_depth;
    Stack stack = {0};
    int rc = 0;
    w.exact = 1;
    if (seen_add(&w, fs->root_inum) < 0
        || push(&stack, fs->root_inum, "", 0, "", 0, 0, 1) < 0)
        rc = -1;
    while (rc == 0 && stack.len > 0) {
        Pending dir = stack.items[--stack.len];
        orphan_list(&w, &dir, stack.len);
        rc = out_of_time(&w);
        if (rc == 0)
            rc = directory(&w, &dir, &stack);
        free(dir.path);
        free(dir.shown);
    }
    if (rc >= 0 && flush(&w) < 0)
        rc = -1;
    while (stack.len > 0) {
        Pending *rest = &stack.items[--stack.len];
        free(rest->path);
        free(rest->shown);
    }
    free(stack.items);
    free(w.out.data);
    free(w.seen);
    tsk_list_free(w.named);
    PyObject *fatal = image->fatal;
    image->fatal = NULL;
    tsk_fs_close(fs);
    tsk_img_close(&image->img);
    if (fatal != NULL) {
        PyErr_SetObject((PyObject *)Py_TYPE(fatal), fatal);
        Py_DECREF(fatal);
        return NULL;
    }
    if (rc < 0)
        return NULL;
    return Py_BuildValue("(KO)", w.written, w.stopped ? Py_True : Py_False);
}

static PyMethodDef methods[] = {
    {"volume_lines", (PyCFunction)(void (*)(void))volume_lines, METH_VARARGS | METH_KEYWORDS,
     "volume_lines(read, size, offset, ftype, volume, write, problem, over, max_depth)\n"
     "-> (lines, stopped): write the bodyfile lines of the file system at byte `offset`\n"
     "(expected TSK type `ftype`), the image read with read(offset, length) -> bytes."},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {
    PyModuleDef_HEAD_INIT, "_tskbody",
    "Bodyfile lines of a volume walked in C over libtsk (see lccu.fs.fastbody).", -1,
    methods, NULL, NULL, NULL, NULL,
};

PyMODINIT_FUNC PyInit__tskbody(void)
{
    PyObject *m = PyModule_Create(&module);
    if (m == NULL)
        return NULL;
    OpenError = PyErr_NewExceptionWithDoc(
        "lccu.fs._tskbody.OpenError",
        "libtsk could not open the file system; nothing was written.", PyExc_OSError, NULL);
    if (OpenError == NULL || PyModule_AddObjectRef(m, "OpenError", OpenError) < 0
        || PyModule_AddStringConstant(m, "TSK_VERSION", tsk_version_get_str()) < 0) {
        Py_DECREF(m);
        return NULL;
    }
    return m;
}
