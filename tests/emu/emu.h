/*
 * aas-emu: a local emulator of the OpenAI Files/Batches/Chat Completions
 * and Anthropic Message Batches/Messages APIs, for tests only.
 * Shared declarations of the files in tests/emu/.
 */
#ifndef EMU_H
#define EMU_H

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#define EMU_OPENAI	0
#define EMU_ANTHROPIC	1

/* util.c */
struct buf {
	char	*p;
	size_t	 len;
	size_t	 cap;
};

void		*xmalloc(size_t);
void		*xcalloc(size_t, size_t);
void		*xrealloc(void *, size_t);
char		*xstrdup(const char *);
char		*xstrndup(const char *, size_t);
void		 buf_add(struct buf *, const void *, size_t);
void		 buf_addstr(struct buf *, const char *);
void		 buf_printf(struct buf *, const char *, ...)
		    __attribute__((format(printf, 2, 3)));
void		 buf_free(struct buf *);
char		*buf_take(struct buf *);

int64_t		 now_ms(void);
void		 sleep_ms(long);
uint64_t	 splitmix64(uint64_t);
uint64_t	 fnv1a64(const char *, size_t);
char		*make_id(const char *, uint64_t, size_t);
char		*new_id(const char *, size_t);
void		 fmt_rfc3339(char *, size_t, int64_t);
void		 fmt_duration(char *, size_t, int64_t);
long		 tokens_of_len(size_t);
long		 prompt_tokens(json_t *);
char		*last_user_text(json_t *);
char		*json_str(json_t *);

/*
 * A JSON Lines file written in blocks: jsonl_put dumps a value (compact,
 * as json_dumpf does) and a newline into the buffer, and the buffer goes
 * to the file each time it passes 256 KB and at jsonl_close, rather than
 * a stdio call per token.  jsonl_close returns -1 if any write failed.
 */
struct jsonl {
	int		 fd;
	int		 failed;
	struct buf	 b;
};

int		 jsonl_open(struct jsonl *, const char *);
void		 jsonl_put(struct jsonl *, json_t *);
void		 jsonl_line(struct jsonl *);
int		 jsonl_close(struct jsonl *);
int		 write_all(int, const char *, size_t);

/*
 * jansson's memory (json_set_alloc_funcs, at startup): plain malloc, but
 * while a thread has its arena on, that thread's jansson allocations come
 * from the arena, a bump allocator whose frees cost nothing, and
 * arena_reset takes back all of it at once.  A batch line is parsed,
 * read and dropped (or built, dumped and dropped) per line with no
 * malloc or free per value.  Nothing allocated in the arena may outlive
 * the next arena_reset or arena_end, nor reach another thread: turn it
 * off (arena_off) around code that builds values kept for later, and
 * free jansson's strings (json_dumps) through free only when they were
 * made with the arena off.
 */
void		*emu_json_malloc(size_t);
void		 emu_json_free(void *);
void		 arena_on(void);
void		 arena_off(void);
void		 arena_reset(void);
void		 arena_end(void);
char		*json_dump_str(json_t *, size_t);

/* a string-keyed hash of counters */
struct hset {
	char	**keys;
	long	 *vals;
	size_t	  n;
	size_t	  cap;
};

long		*hset_get(struct hset *, const char *, int);
void		 hset_free(struct hset *);

/* a sliding window (--rate-window, default one minute) of requests and tokens */
struct window {
	int64_t	*t;
	long	*tok;
	size_t	 head;
	size_t	 n;
	size_t	 cap;
};

void		 win_prune(struct window *, int64_t, int64_t);
long		 win_tokens(struct window *);
void		 win_add(struct window *, int64_t, long);
void		 win_free(struct window *);

/* a stored file */
struct efile {
	char	*id;
	char	*filename;
	char	*purpose;
	char	*path;
	int64_t	 bytes;
	int64_t	 created_at;
	int64_t	 expires_at;
};

/* one request of a batch */
struct line {
	char	*custom_id;
	char	*model;
	long	 ptok;
	char	*text;		/* the prompt, when the script matches on it */
	long	 n;		/* choices asked for (body.n, default 1) */
};

struct batch {
	char		*id;
	int		 prov;
	char		*status;
	char		*endpoint;
	char		*input_file_id;
	char		*completion_window;
	char		*model;
	json_t		*metadata;
	json_t		*errors;	/* validation errors, data array */
	struct line	*lines;
	size_t		 nlines;
	int64_t		 created_at;	/* all times in ms, 0 = null */
	int64_t		 in_progress_at;
	int64_t		 finalizing_at;
	int64_t		 completed_at;
	int64_t		 failed_at;
	int64_t		 expired_at;
	int64_t		 cancelling_at;
	int64_t		 cancelled_at;
	int64_t		 expires_at;
	long		 total;
	long		 completed;
	long		 failed;
	long		 succeeded;	/* Anthropic counts */
	long		 errored;
	long		 canceled;
	long		 expired;
	long long	 in_tok;
	long long	 out_tok;
	long long	 cached_tok;
	char		*output_file_id;
	char		*error_file_id;
	char		*pend_output;	/* written at finalizing */
	char		*pend_error;
	char		*results_path;	/* Anthropic */
	int		 ticks;
	int		 ended;
	/* batch-level fault armed at creation */
	char		*fault;
	double		 fraction;
	char		*fail_code;
	char		*fail_message;
};

struct fault {
	json_t	*rule;
	char	*path;
	char	*method;
	char	*kind;
	long	 count;
	long	 every;
	long	 after;
	long	 seen;
	long	 fired;
};

struct emu {
	pthread_mutex_t	 lock;
	char		*state_dir;
	int		 tmp_state;
	char		*key;
	char		*ant_key;
	FILE		*logf;
	struct buf	 log;
	unsigned long	 seq;
	int64_t		 t0;
	int		 port;
	int		 verbose;
	long		 max_requests;
	json_t		*script;
	struct fault	*faults;
	size_t		 nfaults;
	struct efile	**files;
	size_t		 nfiles;
	struct batch	**batches;
	size_t		 nbatches;
	struct hset	 ids_seen;
	long		 dup_ids;
	long		 ids_submitted;
	long		 files_created;
	long		 batches_created;
	long		 sync_requests;
	long		 faults_fired;
	long		 rate_limited;
	struct window	 win[2];
	int64_t		 window_ms;	/* the rpm/tpm window, --rate-window */
	pthread_cond_t	 release;	/* held sync calls wait on it */
	unsigned long	 release_gen;	/* bumped by POST /_emu/release */
	long		 held;		/* sync calls held right now */
	int		 stopping;	/* set at shutdown: nothing is held */
};

extern struct emu E;

/* a reply under construction */
struct reply {
	int		 status;
	struct buf	 body;
	int		 fd;		/* file body, or -1 */
	uint64_t	 off;
	uint64_t	 len;
	const char	*ctype;
	char		*hname[24];
	char		*hval[24];
	int		 nh;
	char		*created;	/* log: id created by this request */
	json_t		*custom_ids;	/* log: summary of submitted ids */
	char		*batch_fault;	/* log: fault armed on a new batch */
	long		 latency_ms;
	int		 hold;		/* wait for POST /_emu/release */
	int		 ratelimited;
};

/* a parsed request */
struct req {
	struct MHD_Connection	*conn;
	const char		*method;
	const char		*path;
	const char		*ctype;
	struct buf		 body;
	int			 toobig;
	char			*spool;	/* multipart body spooled to a file */
	int			 spool_fd;
	uint64_t		 spool_len;
	char			*request_id;
	int			 prov;
};

void	 reply_header(struct reply *, const char *, const char *);
void	 reply_json(struct reply *, int, json_t *);
void	 reply_error(struct reply *, int, int, const char *, const char *,
	    const char *, const char *);
const char *query_arg(struct req *, const char *);
const char *req_header(struct req *, const char *);
void	 emu_log_line(json_t *);

/* script.c */
int	 script_set(json_t *, char *, size_t);
json_t	*script_get(void);
json_t	*answer_for(json_t *, const char *, const char *, const char *);
char	*prompt_text(json_t *);
int	 script_has_prompt(void);
long	 script_int(json_t *, const char *, long);
json_t	*fault_pick(const char *, const char *, int);
const char *fault_kind(json_t *);
double	 json_num(json_t *, const char *, double);
int	 ratelimit_check(struct reply *, int, long);

/* openai.c */
void	 openai_route(struct req *, struct reply *);
void	 ob_step(struct batch *, int64_t);
void	 ob_force(struct batch *, const char *, json_t *);
void	 ob_to_terminal(struct batch *);
json_t	*ob_json(struct batch *);
struct efile *file_find(const char *);
struct efile *file_register(const char *, const char *, const char *,
	    int64_t);
struct batch *batch_find(const char *, int);
void	 batch_add(struct batch *);
void	 batch_free(struct batch *);
void	 batch_arm_fault(struct batch *, const char *);
void	 batch_note_ids(struct batch *, struct reply *);
size_t	*batch_perm(struct batch *);
json_t	*chat_completion(json_t *, const char *, long, json_t *, int64_t);
const char *finish_reason_of(json_t *);
char	*answer_content(json_t *);
void	 serve_path(struct req *, struct reply *, const char *);
void	 set_status(struct batch *, const char *);
long	 list_limit(struct req *, const char *, long, long, struct reply *);
void	 list_ends(json_t *, json_t *);
char	*path_id(const char *, const char *, const char **);

/* line.c */
json_t	*line_scan(const char *, size_t);

/* anthropic.c */
void	 anthropic_route(struct req *, struct reply *);
void	 ab_step(struct batch *, int64_t);
void	 ab_force(struct batch *, const char *, json_t *);
void	 ab_to_terminal(struct batch *);
json_t	*ab_json(struct batch *);

#endif
