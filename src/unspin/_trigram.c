/* unspin._trigram: the trigram LM's look-up without pocketsphinx's Python wrapper.
 *
 * Why: on spun text most of restore's trigram look-ups are new ones (a candidate in its
 * context is a new trigram), and pocketsphinx's NGramModel.prob costs ~0.5 us a call in
 * its wrapper (a list of words, each encoded to bytes, and a malloc) and its word-to-id
 * hash table before the n-gram search itself (~0.8 us, BENCHMARKS.md 6 Dec). So this
 * module keeps its own table of the model's vocabulary (open addressing, FNV-1a), reads
 * the word ids off the cache key itself ("house white the": the word, then its history,
 * most recent first) and calls ngram_ng_prob() with them: the same function on the same
 * ids as NGramModel.prob() -> ngram_prob(), so the same answer at about half the cost.
 * At load it checks its table against ngram_wid() for every word.
 *
 * Scorer then runs the engine's hot loop on top of it: the LM terms of a run of words
 * through the Python dict cache that lm.TrigramLM keeps (see Scorer below).
 *
 * It links to nothing at build time: it finds the functions in pocketsphinx's own
 * extension module (already loaded by Python) with dlopen/dlsym, and reads its own copy
 * of the model with them. If anything is missing it raises ImportError/OSError and
 * unspin.lm falls back to the wrapper.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <dlfcn.h>
#include <stdint.h>
#include <string.h>

typedef void *(*logmath_init_fn)(double base, int shift, int use_table);
typedef int (*logmath_free_fn)(void *lmath);
typedef void *(*model_read_fn)(void *config, const char *path, int file_type, void *lmath);
typedef int (*model_free_fn)(void *model);
typedef int (*ng_prob_fn)(void *model, int wid, int *history, int n_history, int *n_used);
typedef int (*wid_fn)(void *model, const char *word);
typedef const char *(*word_fn)(void *model, int wid);
typedef const unsigned int *(*counts_fn)(void *model);
typedef int (*unknown_wid_fn)(void *model);

#define NGRAM_AUTO 0
#define MAX_WORDS 3

typedef struct {
    PyObject_HEAD
    void *library;
    void *lmath;
    void *model;
    ng_prob_fn ng_prob;
    logmath_free_fn logmath_free;
    model_free_fn model_free;
    /* The vocabulary: slots of (word, its length, its id); a slot with no word is empty. */
    const char **slot_word;
    Py_ssize_t *slot_length;
    int *slot_wid;
    size_t mask; /* slots - 1, slots a power of two at least twice the vocabulary */
    int unknown_wid;
} Model;

static size_t fnv1a(const char *s, Py_ssize_t n)
{
    uint64_t h = 1469598103934665603ULL;
    for (Py_ssize_t i = 0; i < n; i++)
        h = (h ^ (unsigned char)s[i]) * 1099511628211ULL;
    return (size_t)h;
}

/* The id of the n bytes at s, or the model's unknown id: what ngram_wid() answers. */
static int word_id(const Model *self, const char *s, Py_ssize_t n)
{
    for (size_t i = fnv1a(s, n) & self->mask;; i = (i + 1) & self->mask) {
        const char *w = self->slot_word[i];
        if (w == NULL)
            return self->unknown_wid;
        if (self->slot_length[i] == n && memcmp(w, s, n) == 0)
            return self->slot_wid[i];
    }
}

static void Model_dealloc(Model *self)
{
    if (self->model && self->model_free)
        self->model_free(self->model);
    if (self->lmath && self->logmath_free)
        self->logmath_free(self->lmath);
    if (self->library)
        dlclose(self->library);
    PyMem_Free(self->slot_word);
    PyMem_Free(self->slot_length);
    PyMem_Free(self->slot_wid);
    Py_TYPE(self)->tp_free((PyObject *)self);
}

static void *symbol(void *library, const char *name)
{
    void *p = dlsym(library, name);
    if (p == NULL)
        PyErr_Format(PyExc_OSError, "pocketsphinx library has no symbol %s", name);
    return p;
}

static int build_vocabulary(Model *self, wid_fn wid, word_fn word, unsigned int n_words, int unknown)
{
    size_t slots = 1024;
    while (slots < 2 * (size_t)n_words)
        slots *= 2;
    self->mask = slots - 1;
    self->unknown_wid = unknown;
    self->slot_word = PyMem_Calloc(slots, sizeof(*self->slot_word));
    self->slot_length = PyMem_Calloc(slots, sizeof(*self->slot_length));
    self->slot_wid = PyMem_Calloc(slots, sizeof(*self->slot_wid));
    if (!self->slot_word || !self->slot_length || !self->slot_wid) {
        PyErr_NoMemory();
        return -1;
    }
    for (unsigned int id = 0; id < n_words; id++) {
        const char *w = word(self->model, (int)id);
        if (w == NULL)
            continue;
        Py_ssize_t n = (Py_ssize_t)strlen(w);
        size_t i = fnv1a(w, n) & self->mask;
        while (self->slot_word[i] && !(self->slot_length[i] == n && memcmp(self->slot_word[i], w, n) == 0))
            i = (i + 1) & self->mask;
        if (self->slot_word[i] == NULL) { /* the first id of a word, as ngram_wid() keeps */
            self->slot_word[i] = w;
            self->slot_length[i] = n;
            self->slot_wid[i] = (int)id;
        }
    }
    /* The table must answer as ngram_wid() does, or the look-ups would differ. */
    for (unsigned int id = 0; id < n_words; id++) {
        const char *w = word(self->model, (int)id);
        if (w != NULL && word_id(self, w, (Py_ssize_t)strlen(w)) != wid(self->model, w)) {
            PyErr_Format(PyExc_OSError, "word table disagrees with ngram_wid() on %s", w);
            return -1;
        }
    }
    return 0;
}

static int Model_init(Model *self, PyObject *args, PyObject *kwds)
{
    static char *kwlist[] = {"library", "path", NULL};
    const char *library_path, *model_path;
    if (!PyArg_ParseTupleAndKeywords(args, kwds, "ss", kwlist, &library_path, &model_path))
        return -1;
    if (self->library) {
        PyErr_SetString(PyExc_RuntimeError, "Model is already initialised");
        return -1;
    }
    self->library = dlopen(library_path, RTLD_NOW | RTLD_LOCAL);
    if (self->library == NULL) {
        PyErr_Format(PyExc_OSError, "cannot open %s: %s", library_path, dlerror());
        return -1;
    }
    logmath_init_fn logmath_init = (logmath_init_fn)symbol(self->library, "logmath_init");
    model_read_fn model_read = (model_read_fn)symbol(self->library, "ngram_model_read");
    self->ng_prob = (ng_prob_fn)symbol(self->library, "ngram_ng_prob");
    self->logmath_free = (logmath_free_fn)symbol(self->library, "logmath_free");
    self->model_free = (model_free_fn)symbol(self->library, "ngram_model_free");
    wid_fn wid = (wid_fn)symbol(self->library, "ngram_wid");
    word_fn word = (word_fn)symbol(self->library, "ngram_word");
    counts_fn counts = (counts_fn)symbol(self->library, "ngram_model_get_counts");
    unknown_wid_fn unknown_wid = (unknown_wid_fn)symbol(self->library, "ngram_unknown_wid");
    if (!logmath_init || !model_read || !self->ng_prob || !self->logmath_free || !self->model_free
        || !wid || !word || !counts || !unknown_wid)
        return -1;
    /* Base 1.0001, as pocketsphinx's own LogMath(): prob() answers in that base's integers. */
    self->lmath = logmath_init(1.0001, 0, 0);
    if (self->lmath == NULL) {
        PyErr_SetString(PyExc_OSError, "logmath_init failed");
        return -1;
    }
    Py_BEGIN_ALLOW_THREADS
    self->model = model_read(NULL, model_path, NGRAM_AUTO, self->lmath);
    Py_END_ALLOW_THREADS
    if (self->model == NULL) {
        PyErr_Format(PyExc_OSError, "cannot read language model %s", model_path);
        return -1;
    }
    return build_vocabulary(self, wid, word, counts(self->model)[0], unknown_wid(self->model));
}

/* log P(piece[0] | piece[1] piece[2]) in base-1.0001 units: the word, then its history, most
 * recent first, as UTF-8 pieces (count of them, 1 to 3). Called with the GIL held, always:
 * pocketsphinx's trie keeps a cache of the last history it read. */
static int prob_of(const Model *self, const char *piece[], const Py_ssize_t length[], int count)
{
    int ids[MAX_WORDS], n_used;
    for (int k = 0; k < count; k++)
        ids[k] = word_id(self, piece[k], length[k]);
    return self->ng_prob(self->model, ids[0], ids + 1, count - 1, &n_used);
}

/* prob("house white the") -> int: log P(house | the white) in base-1.0001 units, as
 * pocketsphinx's NGramModel.prob(["house", "white", "the"]). One to three words, one
 * space between each. */
static PyObject *Model_prob(Model *self, PyObject *key)
{
    Py_ssize_t n;
    const char *s = PyUnicode_AsUTF8AndSize(key, &n); /* no copy for an ASCII str */
    if (s == NULL)
        return NULL;
    const char *piece[MAX_WORDS];
    Py_ssize_t length[MAX_WORDS];
    int count = 0;
    Py_ssize_t start = 0;
    for (Py_ssize_t i = 0; i <= n; i++) {
        if (i == n || s[i] == ' ') {
            if (count == MAX_WORDS) {
                PyErr_SetString(PyExc_ValueError, "a key is one to three words");
                return NULL;
            }
            piece[count] = s + start;
            length[count++] = i - start;
            start = i + 1;
        }
    }
    return PyLong_FromLong(prob_of(self, piece, length, count));
}

/* Scorer: the engine's hot loop (decode.local_scores, scoring.window_logp) in C.
 *
 * score(words, history, start, floor) -> float is, term for term, lm.TrigramLM.score_terms:
 * start + the sum of log P(word | its two words before) over ``words``, ``history`` (a tuple
 * of at most two words, most recent first) before the first, stopping as soon as the sum is
 * under ``floor``. Each term is read from the Python dict ``cache`` under the same key the
 * Python code uses ("house white the") or, on a miss, looked up, turned into nats, handed
 * to ``oov(word)`` where the word is unknown (under ``oov_below``), and stored there (the
 * dict cleared first once it holds more than ``limit`` keys). Same keys, same values, the
 * same additions in the same order: the same floats as the Python loop. */
typedef struct {
    PyObject_HEAD
    Model *model;
    PyObject *cache;
    PyObject *oov;
    double to_nats;
    double oov_below;
    Py_ssize_t limit;
} Scorer;

static void Scorer_dealloc(Scorer *self)
{
    Py_XDECREF(self->model);
    Py_XDECREF(self->cache);
    Py_XDECREF(self->oov);
    Py_TYPE(self)->tp_free((PyObject *)self);
}

static PyTypeObject ModelType;

static int Scorer_init(Scorer *self, PyObject *args, PyObject *kwds)
{
    static char *kwlist[] = {"model", "cache", "oov", "to_nats", "oov_below", "limit", NULL};
    PyObject *model, *cache, *oov;
    if (!PyArg_ParseTupleAndKeywords(args, kwds, "O!O!Oddn", kwlist, &ModelType, &model, &PyDict_Type,
                                     &cache, &oov, &self->to_nats, &self->oov_below, &self->limit))
        return -1;
    if (!PyCallable_Check(oov)) {
        PyErr_SetString(PyExc_TypeError, "oov must be callable");
        return -1;
    }
    Py_INCREF(model);
    Py_INCREF(cache);
    Py_INCREF(oov);
    Py_XSETREF(self->model, (Model *)model);
    Py_XSETREF(self->cache, cache);
    Py_XSETREF(self->oov, oov);
    return 0;
}

#define KEY_ON_STACK 256 /* bytes: a longer key (very long "words") gets a buffer of its own */

/* The cache key of the pieces, "word h1 h2", as a new str. */
static PyObject *key_of(const char *piece[], const Py_ssize_t length[], int count)
{
    char stack[KEY_ON_STACK];
    Py_ssize_t size = count - 1;
    for (int k = 0; k < count; k++)
        size += length[k];
    char *buf = size <= KEY_ON_STACK ? stack : PyMem_Malloc(size);
    if (buf == NULL)
        return PyErr_NoMemory();
    Py_ssize_t n = 0;
    for (int k = 0; k < count; k++) {
        if (k)
            buf[n++] = ' ';
        memcpy(buf + n, piece[k], length[k]);
        n += length[k];
    }
    PyObject *key = PyUnicode_DecodeUTF8(buf, n, NULL);
    if (buf != stack)
        PyMem_Free(buf);
    return key;
}

/* log P(word | h1 h2) in nats for the key's pieces, through the cache. A new reference. */
static PyObject *term(Scorer *self, PyObject *word, const char *piece[], const Py_ssize_t length[], int count)
{
    PyObject *key = key_of(piece, length, count);
    if (key == NULL)
        return NULL;
    PyObject *value = PyDict_GetItemWithError(self->cache, key);
    if (value != NULL) {
        Py_INCREF(value);
        Py_DECREF(key);
        return value;
    }
    if (PyErr_Occurred()) {
        Py_DECREF(key);
        return NULL;
    }
    double nats = prob_of(self->model, piece, length, count) * self->to_nats;
    value = nats < self->oov_below ? PyObject_CallOneArg(self->oov, word) : PyFloat_FromDouble(nats);
    if (value != NULL && PyDict_GET_SIZE(self->cache) > self->limit)
        PyDict_Clear(self->cache); /* bounded memory on huge inputs, as lm.TrigramLM.look_up */
    if (value == NULL || PyDict_SetItem(self->cache, key, value) < 0) {
        Py_XDECREF(value);
        Py_DECREF(key);
        return NULL;
    }
    Py_DECREF(key);
    return value;
}

static PyObject *Scorer_score(Scorer *self, PyObject *const *args, Py_ssize_t nargs)
{
    if (nargs != 4 || !PyTuple_Check(args[0]) || !PyTuple_Check(args[1])) {
        PyErr_SetString(PyExc_TypeError, "score(words: tuple, history: tuple, start: float, floor: float)");
        return NULL;
    }
    PyObject *words = args[0], *history = args[1];
    double total = PyFloat_AsDouble(args[2]), floor = PyFloat_AsDouble(args[3]);
    if (PyErr_Occurred())
        return NULL;
    /* piece[0] is the word, piece[1..] its history, most recent first */
    const char *piece[MAX_WORDS] = {NULL};
    Py_ssize_t length[MAX_WORDS] = {0};
    int count = 1;
    Py_ssize_t n_history = PyTuple_GET_SIZE(history);
    for (Py_ssize_t k = 0; k < n_history && k < MAX_WORDS - 1; k++) {
        piece[1 + k] = PyUnicode_AsUTF8AndSize(PyTuple_GET_ITEM(history, k), &length[1 + k]);
        if (piece[1 + k] == NULL)
            return NULL;
        count++;
    }
    for (Py_ssize_t i = 0; i < PyTuple_GET_SIZE(words); i++) {
        PyObject *word = PyTuple_GET_ITEM(words, i);
        piece[0] = PyUnicode_AsUTF8AndSize(word, &length[0]);
        if (piece[0] == NULL)
            return NULL;
        PyObject *value = term(self, word, piece, length, count);
        if (value == NULL)
            return NULL;
        total += PyFloat_AsDouble(value);
        Py_DECREF(value);
        if (PyErr_Occurred())
            return NULL;
        if (total < floor)
            break;
        /* the next history: this word, then the most recent before it */
        piece[2] = piece[1];
        length[2] = length[1];
        piece[1] = piece[0];
        length[1] = length[0];
        count = count < MAX_WORDS ? count + 1 : MAX_WORDS;
    }
    return PyFloat_FromDouble(total);
}

static PyMethodDef Scorer_methods[] = {
    {"score", (PyCFunction)(void (*)(void))Scorer_score, METH_FASTCALL,
     "score(words, history, start, floor) -> float: as lm.TrigramLM.score_terms."},
    {NULL, NULL, 0, NULL},
};

static PyTypeObject ScorerType = {
    PyVarObject_HEAD_INIT(NULL, 0)
    .tp_name = "unspin._trigram.Scorer",
    .tp_doc = "Scorer(model, cache, oov, to_nats, oov_below, limit): the LM terms of a run of words.",
    .tp_basicsize = sizeof(Scorer),
    .tp_flags = Py_TPFLAGS_DEFAULT,
    .tp_new = PyType_GenericNew,
    .tp_init = (initproc)Scorer_init,
    .tp_dealloc = (destructor)Scorer_dealloc,
    .tp_methods = Scorer_methods,
};

static PyMethodDef Model_methods[] = {
    {"prob", (PyCFunction)Model_prob, METH_O,
     "prob(key) -> int: log P(first word | the rest, most recent first), base 1.0001."},
    {NULL, NULL, 0, NULL},
};

static PyTypeObject ModelType = {
    PyVarObject_HEAD_INIT(NULL, 0)
    .tp_name = "unspin._trigram.Model",
    .tp_doc = "Model(library, path): pocketsphinx's ngram_prob() on a model read from path.",
    .tp_basicsize = sizeof(Model),
    .tp_flags = Py_TPFLAGS_DEFAULT,
    .tp_new = PyType_GenericNew,
    .tp_init = (initproc)Model_init,
    .tp_dealloc = (destructor)Model_dealloc,
    .tp_methods = Model_methods,
};

static struct PyModuleDef module = {
    PyModuleDef_HEAD_INIT,
    .m_name = "unspin._trigram",
    .m_doc = "pocketsphinx's trigram look-up, called from C.",
    .m_size = -1,
};

PyMODINIT_FUNC PyInit__trigram(void)
{
    if (PyType_Ready(&ModelType) < 0 || PyType_Ready(&ScorerType) < 0)
        return NULL;
    PyObject *m = PyModule_Create(&module);
    if (m == NULL)
        return NULL;
    if (PyModule_AddType(m, &ModelType) < 0 || PyModule_AddType(m, &ScorerType) < 0) {
        Py_DECREF(m);
        return NULL;
    }
    return m;
}
