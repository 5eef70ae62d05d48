// SPDX-License-Identifier: BSD-2-Clause
/*
 * Unit tests for the Kubernetes API client (user/k8s/kubeconfig.c, http.c,
 * watch.c): kubeconfig and in-cluster configuration
 * from files in a temporary directory, then the watcher against
 * tests/k8s/fake_apiserver.py run as a subprocess, checked the way a user
 * would: through k8s_index lookups, the watcher's statistics and the fake
 * server's own request counters.
 *
 * The three files are included rather than linked, to reach their statics,
 * and lib/log.c is left out (Makefile UNIT_UNLINKED_k8s_api): the log_msg
 * below records every line instead, so the tests can also check that no
 * token ever reaches the log.
 *
 *   test_k8s_api                       the cmocka suite
 *   test_k8s_api --watch-load URL MODE [NODE] [SECONDS]
 *                                      tools/k8s-watch-load.sh's driver:
 *                                      syncs, watches SECONDS, prints stats
 */
#include "k8s/kubeconfig.c"
#include "k8s/http.c"
#include "k8s/watch.c"

#include <arpa/inet.h>
#include <setjmp.h>
#include <signal.h>
#include <sys/wait.h>
#include <cmocka.h>

/* ---- log capture ------------------------------------------------------------ */

static pthread_mutex_t log_lock = PTHREAD_MUTEX_INITIALIZER;
static char log_text[64 * 1024];
static size_t log_len;
static bool log_echo;

void log_msg(enum log_level level, const char *fmt, ...)
{
	char line[1024];
	va_list ap;
	int n;

	(void)level;
	va_start(ap, fmt);
	n = vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	pthread_mutex_lock(&log_lock);
	if (log_len + strlen(line) < sizeof(log_text)) {
		memcpy(log_text + log_len, line, strlen(line) + 1);
		log_len += strlen(line);
	}
	pthread_mutex_unlock(&log_lock);
	if (log_echo)
		fputs(line, stderr);
}

static bool log_has(const char *s)
{
	bool found;

	pthread_mutex_lock(&log_lock);
	found = strstr(log_text, s) != NULL;
	pthread_mutex_unlock(&log_lock);
	return found;
}

static void log_clear(void)
{
	pthread_mutex_lock(&log_lock);
	log_len = 0;
	log_text[0] = '\0';
	pthread_mutex_unlock(&log_lock);
}

/* ---- files -------------------------------------------------------------------- */

static char tmpdir[PATH_MAX];
static char err[512];

static void write_file(const char *name, const char *text)
{
	char path[PATH_MAX + 64];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", tmpdir, name);
	f = fopen(path, "w");
	assert_non_null(f);
	fputs(text, f);
	assert_int_equal(fclose(f), 0);
}

static char *path_in(const char *name)
{
	static char path[PATH_MAX + 64];

	snprintf(path, sizeof(path), "%s/%s", tmpdir, name);
	return path;
}

static int make_tmpdir(void **state)
{
	(void)state;
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/test_k8s_api.XXXXXX");
	assert_non_null(mkdtemp(tmpdir));
	return 0;
}

static int remove_tmpdir(void **state)
{
	char cmd[PATH_MAX + 16];

	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
	return system(cmd) ? -1 : 0;
}

/* ---- kubeconfig ------------------------------------------------------------- */

/* base64 of "-----BEGIN CERTIFICATE-----\nCA\n-----END CERTIFICATE-----\n" */
#define CA_B64 "LS0tLS1CRUdJTiBDRVJUSUZJQ0FURS0tLS0tCkNBCi0tLS0tRU5EIENFUlRJRklDQVRFLS0tLS0K"
#define CA_PEM "-----BEGIN CERTIFICATE-----\nCA\n-----END CERTIFICATE-----\n"

static const char kubeconfig_two[] =
    "apiVersion: v1\n"
    "kind: Config\n"
    "current-context: dev\n"
    "clusters:\n"
    "- name: dev-cluster\n"
    "  cluster:\n"
    "    server: https://dev.example:6443/\n"
    "    certificate-authority-data: " CA_B64 "\n"
    "- name: prod-cluster\n"
    "  cluster:\n"
    "    server: https://[fd00::1]:443\n"
    "    insecure-skip-tls-verify: true\n"
    "contexts:\n"
    "- name: dev\n"
    "  context: {cluster: dev-cluster, user: dev-user, namespace: shop}\n"
    "- name: prod\n"
    "  context:\n"
    "    cluster: prod-cluster\n"
    "    user: prod-user\n"
    "users:\n"
    "- name: dev-user\n"
    "  user:\n"
    "    token: dev-token-123\n"
    "- name: prod-user\n"
    "  user:\n"
    "    client-certificate-data: " CA_B64 "\n"
    "    client-key-data: " CA_B64 "\n";

static void test_kubeconfig_contexts(void **state)
{
	struct k8s_api_config cfg;

	(void)state;
	write_file("kc", kubeconfig_two);
	assert_int_equal(k8s_config_kubeconfig(path_in("kc"), NULL, &cfg, err, sizeof(err)), 0);
	assert_string_equal(cfg.server, "https://dev.example:6443");
	assert_string_equal(cfg.ca_pem, CA_PEM);
	assert_string_equal(cfg.token, "dev-token-123");
	assert_null(cfg.client_cert_pem);
	assert_false(cfg.insecure_skip_tls_verify);
	assert_non_null(strstr(cfg.source, "context dev"));
	k8s_config_free(&cfg);

	assert_int_equal(k8s_config_kubeconfig(path_in("kc"), "prod", &cfg, err, sizeof(err)), 0);
	assert_string_equal(cfg.server, "https://[fd00::1]:443");
	assert_true(cfg.insecure_skip_tls_verify);
	assert_null(cfg.token);
	assert_null(cfg.ca_pem);
	assert_string_equal(cfg.client_cert_pem, CA_PEM);
	assert_string_equal(cfg.client_key_pem, CA_PEM);
	k8s_config_free(&cfg);
}

static void test_kubeconfig_relative_paths(void **state)
{
	struct k8s_api_config cfg;
	char want[PATH_MAX + 64];

	(void)state;
	assert_int_equal(mkdir(path_in("sub"), 0700), 0);
	write_file("sub/ca.crt", CA_PEM);
	write_file("sub/tok", "file-token\n");
	write_file("sub/c.crt", CA_PEM);
	write_file("c.key", CA_PEM);
	write_file("sub/kc", "current-context: x\n"
			     "clusters: [{name: c, cluster: {server: 'https://h:1', "
			     "certificate-authority: ca.crt}}]\n"
			     "contexts: [{name: x, context: {cluster: c, user: u}}]\n"
			     "users: [{name: u, user: {tokenFile: tok, token: ignored, "
			     "client-certificate: c.crt, client-key: ../c.key}}]\n");
	assert_int_equal(k8s_config_kubeconfig(path_in("sub/kc"), NULL, &cfg, err, sizeof(err)), 0);
	snprintf(want, sizeof(want), "%s/sub/ca.crt", tmpdir);
	assert_string_equal(cfg.ca_file, want);
	snprintf(want, sizeof(want), "%s/sub/tok", tmpdir);
	assert_string_equal(cfg.token_file, want);
	assert_null(cfg.token); /* tokenFile wins, as in client-go */
	snprintf(want, sizeof(want), "%s/sub/c.crt", tmpdir);
	assert_string_equal(cfg.client_cert_file, want);
	snprintf(want, sizeof(want), "%s/sub/../c.key", tmpdir);
	assert_string_equal(cfg.client_key_file, want);
	k8s_config_free(&cfg);
}

struct kc_error_case {
	const char *text; /* NULL: the file does not exist */
	const char *context;
	int ret;
	const char *says[2];
};

#define KC_HEAD                                                                                    \
	"current-context: a\n"                                                                     \
	"contexts: [{name: a, context: {cluster: c, user: u}}]\n"                                  \
	"clusters: [{name: c, cluster: {server: 'https://h:1'}}]\n"

static const struct kc_error_case kc_errors[] = {
    {NULL, NULL, -ENOENT, {"No such file", NULL}},
    {"clusters: [\n  - {name: x\n", NULL, -EINVAL, {"bad YAML at line", NULL}},
    {"", NULL, -EINVAL, {"empty", NULL}},
    {"clusters: []\n", NULL, -ENOENT, {"no current-context", "use-context"}},
    {KC_HEAD "users: [{name: u, user: {token: t}}]\n",
     "b",
     -ENOENT,
     {"context \"b\" not found", NULL}},
    {"current-context: a\ncontexts: [{name: a, context: {cluster: c, user: u}}]\n",
     NULL,
     -ENOENT,
     {"cluster \"c\" not found", NULL}},
    {"current-context: a\ncontexts: [{name: a, context: {user: u}}]\n",
     NULL,
     -EINVAL,
     {"names no cluster", NULL}},
    {KC_HEAD "users: [{name: v, user: {token: t}}]\n",
     NULL,
     -ENOENT,
     {"user \"u\" not found", NULL}},
    {KC_HEAD "users: [{name: u, user: {exec: {command: aws}}}]\n",
     NULL,
     -ENOTSUP,
     {"exec, which meshsight does not support", "client certificate"}},
    {KC_HEAD "users: [{name: u, user: {auth-provider: {name: gcp}}}]\n",
     NULL,
     -ENOTSUP,
     {"auth-provider", "token"}},
    {KC_HEAD "users: [{name: u, user: {client-key-data: 'not*base64'}}]\n",
     NULL,
     -EINVAL,
     {"client-key-data is not valid base64", NULL}},
    {KC_HEAD "users: [{name: u, user: {client-certificate-data: " CA_B64 "}}]\n",
     NULL,
     -EINVAL,
     {"no client key", NULL}},
    {KC_HEAD "users: [{name: u, user: {tokenFile: /nonexistent/tok}}]\n",
     NULL,
     -ENOENT,
     {"tokenFile /nonexistent/tok", "No such file"}},
    {"current-context: a\ncontexts: [{name: a, context: {cluster: c, user: u}}]\n"
     "clusters: [{name: c, cluster: {server: 'https://h:1', certificate-authority-data: "
     "'@@@'}}]\n",
     NULL,
     -EINVAL,
     {"certificate-authority-data is not valid base64", NULL}},
    {"current-context: a\ncontexts: [{name: a, context: {cluster: c, user: u}}]\n"
     "clusters: [{name: c, cluster: {certificate-authority: ca.crt}}]\n",
     NULL,
     -EINVAL,
     {"has no server URL", NULL}},
};

static void test_kubeconfig_errors(void **state)
{
	struct k8s_api_config cfg;
	const struct kc_error_case *c;
	size_t i;
	int ret;

	(void)state;
	for (i = 0; i < sizeof(kc_errors) / sizeof(kc_errors[0]); i++) {
		c = &kc_errors[i];
		unlink(path_in("bad"));
		if (c->text)
			write_file("bad", c->text);
		err[0] = '\0';
		ret = k8s_config_kubeconfig(path_in("bad"), c->context, &cfg, err, sizeof(err));
		if (ret != c->ret || !strstr(err, path_in("bad")) || !strstr(err, c->says[0]) ||
		    (c->says[1] && !strstr(err, c->says[1])))
			fail_msg("case %zu: got %d '%s', want %d naming the file and saying '%s'",
				 i, ret, err, c->ret, c->says[0]);
		assert_null(cfg.token); /* nothing half-filled is left behind */
	}
}

/* ---- in-cluster ------------------------------------------------------------- */

static void test_in_cluster(void **state)
{
	struct k8s_api_config cfg;
	char want[PATH_MAX + 64];

	(void)state;
	unsetenv("KUBERNETES_SERVICE_HOST");
	unsetenv("KUBERNETES_SERVICE_PORT");
	assert_int_equal(k8s_config_in_cluster(tmpdir, &cfg, err, sizeof(err)), -ENOENT);
	assert_non_null(strstr(err, "KUBERNETES_SERVICE_HOST"));

	setenv("KUBERNETES_SERVICE_HOST", "10.96.0.1", 1);
	setenv("KUBERNETES_SERVICE_PORT", "443", 1);
	assert_int_equal(k8s_config_in_cluster(tmpdir, &cfg, err, sizeof(err)), -ENOENT);
	assert_non_null(strstr(err, "token"));

	write_file("token", "in-cluster-token\n");
	write_file("ca.crt", CA_PEM);
	assert_int_equal(k8s_config_in_cluster(tmpdir, &cfg, err, sizeof(err)), 0);
	assert_string_equal(cfg.server, "https://10.96.0.1:443");
	snprintf(want, sizeof(want), "%s/token", tmpdir);
	assert_string_equal(cfg.token_file, want);
	snprintf(want, sizeof(want), "%s/ca.crt", tmpdir);
	assert_string_equal(cfg.ca_file, want);
	assert_string_equal(cfg.source, "in-cluster");
	k8s_config_free(&cfg);

	setenv("KUBERNETES_SERVICE_HOST", "fd00:10:96::1", 1);
	assert_int_equal(k8s_config_in_cluster(tmpdir, &cfg, err, sizeof(err)), 0);
	assert_string_equal(cfg.server, "https://[fd00:10:96::1]:443");
	k8s_config_free(&cfg);
	unsetenv("KUBERNETES_SERVICE_HOST");
	unsetenv("KUBERNETES_SERVICE_PORT");
}

/* ---- the fake API server ----------------------------------------------------- */

static pid_t server_pid;
static int server_port;
static char server_url[64];
static char ctl_url[64];

static bool python_missing(void)
{
	static int missing = -1; /* python3 through a version manager's shim is slow to start */

	if (missing < 0)
		missing = system("python3 -c 'import ssl' >/dev/null 2>&1") != 0;
	if (!missing)
		return false;
	if (getenv("CI") && !strcmp(getenv("CI"), "true"))
		fail_msg("python3 is missing and CI=true: install python3");
	fprintf(stderr, "\n*** SKIPPING the watcher tests: python3 is not on PATH ***\n\n");
	return true;
}

static const char *server_script(void)
{
	static char path[PATH_MAX];
	char exe[PATH_MAX];
	ssize_t n;

	if (!access("tests/k8s/fake_apiserver.py", R_OK))
		return "tests/k8s/fake_apiserver.py";
	/* <repo>/<build>/tests/test_k8s_api */
	n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	assert_true(n > 0);
	exe[n] = '\0';
	snprintf(path, sizeof(path), "%s/../../tests/k8s/fake_apiserver.py", dirname(exe));
	return path;
}

/* Starts the server with extra arguments (NULL-terminated). */
static void server_start(const char *const *extra)
{
	const char *argv[16] = {"python3", server_script(), "--port", "0"};
	char line[128] = "";
	int fds[2], i = 4;
	FILE *out;

	for (; extra && *extra && i < 15; extra++)
		argv[i++] = *extra;
	assert_int_equal(pipe(fds), 0);
	server_pid = fork();
	assert_true(server_pid >= 0);
	if (!server_pid) {
		dup2(fds[1], 1);
		close(fds[0]);
		execvp("python3", (char *const *)argv);
		_exit(127);
	}
	close(fds[1]);
	out = fdopen(fds[0], "r");
	if (!fgets(line, sizeof(line), out) || sscanf(line, "listening on %d", &server_port) != 1)
		fail_msg("fake_apiserver.py did not start: '%s'", line);
	fclose(out);
	snprintf(server_url, sizeof(server_url), "http://127.0.0.1:%d", server_port);
	snprintf(ctl_url, sizeof(ctl_url), "http://127.0.0.1:%d/_control/", server_port);
}

static void server_stop(void)
{
	if (server_pid > 0) {
		kill(server_pid, SIGTERM);
		waitpid(server_pid, NULL, 0);
	}
	server_pid = 0;
}

static size_t collect(char *data, size_t size, size_t nmemb, void *arg)
{
	json_t **doc = arg;
	json_error_t jerr;

	json_decref(*doc);
	*doc = json_loadb(data, size * nmemb, 0, &jerr);
	return size * nmemb;
}

/* POSTs body (or GETs when NULL) to /_control/op; the JSON answer, to json_decref. */
static json_t *control(const char *op, const char *body)
{
	CURL *c = curl_easy_init();
	json_t *doc = NULL;
	char url[128];
	long status = 0;

	assert_non_null(c);
	snprintf(url, sizeof(url), "%s%s", ctl_url, op);
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, collect);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, &doc);
	if (ctl_url[4] == 's')
		curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, 0L);
	if (body)
		curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
	assert_int_equal(curl_easy_perform(c), CURLE_OK);
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
	curl_easy_cleanup(c);
	if (status != 200)
		fail_msg("control %s: HTTP %ld", op, status);
	assert_non_null(doc);
	return doc;
}

static void ctl(const char *op, const char *body)
{
	json_decref(control(op, body));
}

static json_int_t server_counter(const char *resource, const char *verb, const char *what)
{
	json_t *s = control("stats", NULL);
	json_int_t v = json_integer_value(json_object_get(
	    json_object_get(json_object_get(json_object_get(s, "resources"), resource), verb),
	    what));

	json_decref(s);
	return v;
}

/*
 * Waits up to 5 s for n watches to be open at the server: a watch counted by
 * the watcher may not have reached it yet, and would miss a drop-watches.
 */
/* Kinds watched without --k8s-virtualservices: all but the last. */
#define KINDS_WATCHED K8S_KIND_VIRTUALSERVICE

static void wait_open_watches(json_int_t n)
{
	json_int_t open = 0;
	int i;

	for (i = 0; i < 500; i++) {
		json_t *s = control("stats", NULL);

		open = json_integer_value(json_object_get(s, "open_watches"));
		json_decref(s);
		if (open >= n)
			return;
		usleep(10000);
	}
	fail_msg("%lld watches open at the server, want %lld", (long long)open, (long long)n);
}

/* The query string of the server's last list of resource. */
static bool last_list_has(const char *resource, const char *param)
{
	json_t *s = control("stats", NULL);
	const char *q =
	    json_string_value(json_object_get(json_object_get(s, "last_list_query"), resource));
	bool has = q && strstr(q, param);

	json_decref(s);
	return has;
}

static char fixtures[PATH_MAX];

static void load_fixtures(void)
{
	char body[4 * PATH_MAX];
	char *dir = strdup(server_script());

	snprintf(fixtures, sizeof(fixtures), "%s/fixtures", dirname(dir));
	free(dir);
	snprintf(body, sizeof(body),
		 "{\"files\": [\"%s/pods.json\", \"%s/services.json\", "
		 "\"%s/endpointslices.json\"]}",
		 fixtures, fixtures, fixtures);
	ctl("load", body);
}

/* ---- watcher fixtures ----------------------------------------------------------- */

struct wt {
	struct k8s_index *idx;
	struct k8s_watcher *w;
	struct k8s_api_config cfg;
	struct k8s_watch_opts opts;
};

static struct wt wt;

static int watcher_setup(void **state)
{
	(void)state;
	make_tmpdir(NULL);
	if (python_missing())
		return 0;
	memset(&wt, 0, sizeof(wt));
	wt.idx = k8s_index_new(NULL);
	assert_non_null(wt.idx);
	wt.opts.timeout_s = 30;
	wt.opts.backoff_min_ms = 50;
	wt.opts.backoff_max_ms = 400;
	log_clear();
	return 0;
}

static int watcher_teardown(void **state)
{
	if (wt.w)
		k8s_watcher_stop(wt.w);
	wt.w = NULL;
	k8s_config_free(&wt.cfg);
	if (wt.idx)
		k8s_index_free(wt.idx);
	wt.idx = NULL;
	server_stop();
	memset(ctl_url, 0, sizeof(ctl_url));
	return remove_tmpdir(state);
}

#define SKIP_WITHOUT_PYTHON()                                                                      \
	do {                                                                                       \
		if (!wt.idx)                                                                       \
			skip();                                                                    \
	} while (0)

static void start_watcher(void)
{
	assert_int_equal(k8s_watcher_start(&wt.cfg, &wt.opts, wt.idx, &wt.w), 0);
	if (!k8s_watcher_wait_synced(wt.w, 10000))
		fail_msg("watcher did not sync in 10 s; log:\n%s", log_text);
}

/* Plain HTTP with a fixed token. */
static void start_plain(const char *token)
{
	const char *args[] = {"--token", token, NULL};

	server_start(token ? args : NULL);
	load_fixtures();
	snprintf(wt.cfg.server, sizeof(wt.cfg.server), "%s", server_url);
	wt.cfg.token = token ? strdup(token) : NULL;
	start_watcher();
}

static bool pod_at(const char *ip, struct k8s_pod_ref *ref)
{
	uint8_t a[16] = {[10] = 0xff, [11] = 0xff};

	assert_int_equal(inet_pton(AF_INET, ip, a + 12), 1);
	return k8s_index_pod_by_ip(wt.idx, a, 0, ref);
}

/* Waits up to 5 s for the pod at ip to be there (or gone) with app label app. */
static bool wait_pod(const char *ip, bool present, const char *app)
{
	struct k8s_pod_ref ref;
	int i;

	for (i = 0; i < 500; i++) {
		bool found = pod_at(ip, &ref);

		if (found == present && (!found || !app || !strcmp(ref.app, app)))
			return true;
		usleep(10000);
	}
	return false;
}

static struct k8s_kind_stats stats_of(enum k8s_kind kind)
{
	struct k8s_kind_stats s[K8S_KIND__MAX];

	k8s_watcher_get_stats(wt.w, s);
	return s[kind];
}

/* Waits up to 5 s for a counter of kind's stats to reach at least min. */
#define WAIT_STAT(kind, field, min)                                                                \
	do {                                                                                       \
		int i_;                                                                            \
		for (i_ = 0; i_ < 500 && stats_of(kind).field < (min); i_++)                       \
			usleep(10000);                                                             \
		if (stats_of(kind).field < (min))                                                  \
			fail_msg("%s %s stayed at %llu, want >= %llu; log:\n%s",                   \
				 k8s_kind_name(kind), #field,                                      \
				 (unsigned long long)stats_of(kind).field,                         \
				 (unsigned long long)(min), log_text);                             \
	} while (0)

static char pod_doc[2048];

/* A pod as the API server returns it, in namespace shop on node. */
static const char *pod(const char *name, const char *node, const char *ip, const char *app)
{
	snprintf(
	    pod_doc, sizeof(pod_doc),
	    "{\"object\": {\"kind\": \"Pod\", \"apiVersion\": \"v1\", \"metadata\": {"
	    "\"name\": \"%s\", \"namespace\": \"shop\", \"uid\": \"0e4c1d2a-%04x-4000-8000-"
	    "000000000000\", \"labels\": {\"app\": \"%s\"}, \"ownerReferences\": [{"
	    "\"apiVersion\": \"apps/v1\", \"kind\": \"ReplicaSet\", \"name\": \"%s-6d4cf56db6\","
	    " \"uid\": \"1e4c1d2a-0000-4000-8000-000000000000\", \"controller\": true}]},"
	    "\"spec\": {\"nodeName\": \"%s\", \"containers\": [{\"name\": \"%s\", \"image\":"
	    " \"registry.example/%s:1.0\"}]}, \"status\": {\"phase\": \"Running\", \"podIP\":"
	    " \"%s\", \"podIPs\": [{\"ip\": \"%s\"}]}}}",
	    name, (unsigned int)(strlen(name) * 31 + name[0]) & 0xffff, app, app, node, app, app,
	    ip, ip);
	return pod_doc;
}

/* ---- watcher tests ----------------------------------------------------------- */

static void test_watch_sync_and_events(void **state)
{
	struct k8s_pod_ref ref;
	struct k8s_kind_stats s;

	(void)state;
	SKIP_WITHOUT_PYTHON();
	start_plain("s3cr3t-token-value");
	assert_true(pod_at("10.200.1.2", &ref));
	assert_string_equal(ref.name, "frontend-7c9f8d6b5-x2m4q");
	assert_string_equal(ref.workload, "frontend");
	assert_true(pod_at("10.200.4.2", &ref)); /* on node-b: cluster mode sees it */
	s = stats_of(K8S_KIND_POD);
	assert_int_equal(s.list_objects, 16);
	assert_true(s.synced);
	assert_true(stats_of(K8S_KIND_SERVICE).list_objects == 7);
	assert_true(stats_of(K8S_KIND_ENDPOINTSLICE).list_objects == 7);
	/* start-up lists are served from the API server's watch cache */
	assert_true(last_list_has("pods", "resourceVersion=0"));
	assert_true(last_list_has("pods", "limit=500"));

	ctl("apply", pod("extra-7d9f", "node-a", "10.200.9.9", "extra"));
	assert_true(wait_pod("10.200.9.9", true, "extra"));
	ctl("apply", pod("extra-7d9f", "node-a", "10.200.9.9", "extra-renamed"));
	assert_true(wait_pod("10.200.9.9", true, "extra-renamed"));
	ctl("delete", "{\"kind\": \"Pod\", \"namespace\": \"shop\", \"name\": \"extra-7d9f\"}");
	assert_true(wait_pod("10.200.9.9", false, NULL));
	s = stats_of(K8S_KIND_POD);
	assert_int_equal(s.events, 3);
	assert_int_equal(s.errors, 0);
	assert_int_equal(s.lists, 1); /* events, not relists */
	assert_false(log_has("s3cr3t-token-value"));
}

static void test_watch_paging(void **state)
{
	struct k8s_index_stats is;

	(void)state;
	SKIP_WITHOUT_PYTHON();
	server_start(NULL);
	ctl("generate", "{\"pods\": 1200, \"nodes\": 4}");
	snprintf(wt.cfg.server, sizeof(wt.cfg.server), "%s", server_url);
	start_watcher();
	assert_int_equal(stats_of(K8S_KIND_POD).lists, 3); /* 500 + 500 + 200 */
	assert_int_equal(stats_of(K8S_KIND_POD).list_objects, 1200);
	assert_int_equal(server_counter("pods", "list", "requests"), 3);
	k8s_index_get_stats(wt.idx, &is);
	assert_int_equal(is.objects[K8S_KIND_POD], 1200);
}

static void test_watch_bookmarks(void **state)
{
	json_t *r;
	char want[32];

	(void)state;
	SKIP_WITHOUT_PYTHON();
	start_plain(NULL);
	WAIT_STAT(K8S_KIND_SERVICE, watches, 1);
	/* a change to pods only: the services watch learns the new rv from a bookmark */
	ctl("apply", pod("bm-1", "node-a", "10.200.9.1", "bm"));
	r = control("bookmark", "{}");
	snprintf(want, sizeof(want), "%lld",
		 (long long)json_integer_value(json_object_get(r, "resourceVersion")));
	json_decref(r);
	WAIT_STAT(K8S_KIND_SERVICE, bookmarks, 1);
	assert_string_equal(stats_of(K8S_KIND_SERVICE).resource_version, want);
	assert_int_equal(stats_of(K8S_KIND_SERVICE).events, 0);
}

/* While the watcher cannot reach the server, a pod goes and history is compacted. */
static void gone_while_away(const char *watch_gone)
{
	char body[64];

	start_plain(NULL);
	snprintf(body, sizeof(body), "{\"watch_gone\": \"%s\"}", watch_gone);
	ctl("config", body);
	WAIT_STAT(K8S_KIND_POD, watches, 1);
	/* in no EndpointSlice, so only its pod object can name 10.200.9.12 */
	ctl("apply", pod("doomed", "node-a", "10.200.9.12", "doomed"));
	assert_true(wait_pod("10.200.9.12", true, "doomed"));
	ctl("away", "{}");
	ctl("delete", "{\"kind\": \"Pod\", \"namespace\": \"shop\", \"name\": \"doomed\"}");
	ctl("apply", pod("new-while-away", "node-a", "10.200.9.2", "late"));
	ctl("compact", "{}");
	WAIT_STAT(K8S_KIND_POD, errors, 1);
	assert_true(pod_at("10.200.9.12", &(struct k8s_pod_ref){0})); /* not seen yet */
	ctl("back", "{}");
	WAIT_STAT(K8S_KIND_POD, gone, 1);
	WAIT_STAT(K8S_KIND_POD, lists, 2);
	assert_true(wait_pod("10.200.9.12", false, NULL)); /* its DELETED was compacted away */
	/* after 410 the cache may be behind us: a consistent read, not resourceVersion=0 */
	assert_false(last_list_has("pods", "resourceVersion"));
	assert_true(wait_pod("10.200.9.2", true, "late"));
	assert_true(wait_pod("10.200.2.2", true, NULL)); /* the others survive the relist */
}

static void test_watch_gone_event_relists(void **state)
{
	(void)state;
	SKIP_WITHOUT_PYTHON();
	gone_while_away("event");
}

static void test_watch_gone_http_relists(void **state)
{
	(void)state;
	SKIP_WITHOUT_PYTHON();
	gone_while_away("http");
}

static void test_watch_dropped_resumes_without_relist(void **state)
{
	(void)state;
	SKIP_WITHOUT_PYTHON();
	start_plain(NULL);
	wait_open_watches(KINDS_WATCHED);
	ctl("drop-watches", "{\"clean\": true}"); /* as a watch timeout ends */
	WAIT_STAT(K8S_KIND_POD, watches, 2);
	wait_open_watches(KINDS_WATCHED);
	ctl("drop-watches", "{}"); /* connection cut */
	WAIT_STAT(K8S_KIND_POD, watches, 3);
	ctl("apply", pod("after-drop", "node-a", "10.200.9.3", "after"));
	assert_true(wait_pod("10.200.9.3", true, "after"));
	assert_int_equal(stats_of(K8S_KIND_POD).lists, 1);
	assert_int_equal(stats_of(K8S_KIND_POD).gone, 0);
}

static void test_watch_server_down_and_back(void **state)
{
	json_int_t before;

	(void)state;
	SKIP_WITHOUT_PYTHON();
	start_plain(NULL);
	WAIT_STAT(K8S_KIND_POD, watches, 1);
	ctl("away", "{}");
	ctl("apply", pod("during-outage", "node-a", "10.200.9.4", "outage"));
	WAIT_STAT(K8S_KIND_POD, errors, 2);
	assert_false(stats_of(K8S_KIND_POD).synced);
	assert_true(log_has("the API server"));
	/* backoff: with min 50 ms and max 400 ms, one second holds only a few attempts */
	before = server_counter("pods", "watch", "requests");
	usleep(1000000);
	assert_true(stats_of(K8S_KIND_POD).errors < 30);
	ctl("back", "{}");
	assert_true(wait_pod("10.200.9.4", true, "outage"));
	WAIT_STAT(K8S_KIND_POD, synced, 1);
	assert_true(server_counter("pods", "watch", "requests") >= before + 1);
}

/* Self-signed CA, a server certificate for 127.0.0.1 and a client certificate. */
static void make_certs(void)
{
	char cmd[4 * PATH_MAX];
	const char *ec = "-newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes";

	write_file("srv.ext", "subjectAltName=IP:127.0.0.1,DNS:localhost\n");
	write_file("cli.ext", "extendedKeyUsage=clientAuth\n");
	snprintf(cmd, sizeof(cmd),
		 "(cd '%s' && openssl req -x509 %s -keyout ca.key -out ca.crt -days 1 "
		 "-subj /CN=test-ca && "
		 "openssl req %s -keyout srv.key -out srv.csr -subj /CN=127.0.0.1 && "
		 "openssl x509 -req -in srv.csr -CA ca.crt -CAkey ca.key -CAcreateserial "
		 "-out srv.crt -days 1 -extfile srv.ext && "
		 "openssl req %s -keyout cli.key -out cli.csr -subj /CN=meshsight && "
		 "openssl x509 -req -in cli.csr -CA ca.crt -CAkey ca.key -CAcreateserial "
		 "-out cli.crt -days 1 -extfile cli.ext) >/dev/null 2>&1",
		 tmpdir, ec, ec, ec);
	if (system(cmd))
		fail_msg("openssl could not make test certificates: install openssl");
}

static char *b64_file(const char *name)
{
	char cmd[2 * PATH_MAX], *out = malloc(16384);
	FILE *p;
	size_t n;

	snprintf(cmd, sizeof(cmd), "base64 -w0 '%s'", path_in(name));
	p = popen(cmd, "r");
	assert_non_null(p);
	n = fread(out, 1, 16383, p);
	out[n] = '\0';
	pclose(p);
	return out;
}

static void start_tls(const char *const *extra)
{
	const char *args[12] = {"--tls-cert", NULL, "--tls-key", NULL};
	char cert[PATH_MAX + 64], key[PATH_MAX + 64];
	int i = 4;

	make_certs();
	snprintf(cert, sizeof(cert), "%s", path_in("srv.crt"));
	snprintf(key, sizeof(key), "%s", path_in("srv.key"));
	args[1] = cert;
	args[3] = key;
	for (; extra && *extra && i < 11; extra++)
		args[i++] = *extra;
	server_start(args);
	snprintf(ctl_url, sizeof(ctl_url), "https://127.0.0.1:%d/_control/", server_port);
	load_fixtures();
}

/* A server that takes requests and never answers is named within stall_s, not after 60 s. */
static void test_watch_hung_server_named(void **state)
{
	struct k8s_kind_stats s;

	(void)state;
	SKIP_WITHOUT_PYTHON();
	wt.opts.stall_s = 1;
	start_plain(NULL);
	wait_open_watches(KINDS_WATCHED);
	ctl("hang", "{}");
	/* A clean end of the watch: it comes back to a server that says nothing. */
	ctl("drop-watches", "{\"clean\": true}");
	WAIT_STAT(K8S_KIND_POD, errors, 1);
	s = stats_of(K8S_KIND_POD);
	if (!strstr(s.last_error, "took the watch request but has not answered in 1 s") ||
	    !strstr(s.last_error, server_url) || !strstr(s.last_error, "/readyz"))
		fail_msg("last_error: %s; log:\n%s", s.last_error, log_text);
	assert_true(log_has("has not answered in 1 s"));
	ctl("back", "{}");
	ctl("apply", pod("after-hang", "node-a", "10.200.9.5", "late"));
	assert_true(wait_pod("10.200.9.5", true, "late"));
}

/* The same at start-up: the first list of a hung server fails, counted and named. */
static void test_list_hung_server_named(void **state)
{
	struct k8s_kind_stats s;
	struct timespec t0, t1;

	(void)state;
	SKIP_WITHOUT_PYTHON();
	wt.opts.stall_s = 1;
	server_start(NULL);
	load_fixtures();
	snprintf(wt.cfg.server, sizeof(wt.cfg.server), "%s", server_url);
	ctl("hang", "{}");
	clock_gettime(CLOCK_MONOTONIC, &t0);
	assert_int_equal(k8s_watcher_start(&wt.cfg, &wt.opts, wt.idx, &wt.w), 0);
	WAIT_STAT(K8S_KIND_SERVICE, errors, 1);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	assert_true(t1.tv_sec - t0.tv_sec < 4);
	s = stats_of(K8S_KIND_SERVICE);
	assert_false(s.synced);
	if (!strstr(s.last_error, "took the list request but has not answered in 1 s"))
		fail_msg("last_error: %s", s.last_error);
	ctl("back", "{}");
	if (!k8s_watcher_wait_synced(wt.w, 10000))
		fail_msg("no sync after the server came back; log:\n%s", log_text);
}

static void test_watch_tls_kubeconfig_client_cert(void **state)
{
	char ca_arg[PATH_MAX + 64], *kc, *ca, *crt, *key;
	const char *extra[] = {"--client-ca", ca_arg, "--token", "nobody-has-this", NULL};
	struct k8s_pod_ref ref;

	(void)state;
	SKIP_WITHOUT_PYTHON();
	snprintf(ca_arg, sizeof(ca_arg), "%s", path_in("ca.crt"));
	start_tls(extra);
	ca = b64_file("ca.crt");
	crt = b64_file("cli.crt");
	key = b64_file("cli.key");
	kc = malloc(65536);
	snprintf(kc, 65536,
		 "current-context: t\n"
		 "clusters: [{name: c, cluster: {server: 'https://127.0.0.1:%d', "
		 "certificate-authority-data: %s}}]\n"
		 "contexts: [{name: t, context: {cluster: c, user: u}}]\n"
		 "users: [{name: u, user: {client-certificate-data: %s, client-key-data: %s}}]\n",
		 server_port, ca, crt, key);
	write_file("kc", kc);
	free(kc);
	free(ca);
	free(crt);
	free(key);
	assert_int_equal(k8s_config_kubeconfig(path_in("kc"), NULL, &wt.cfg, err, sizeof(err)), 0);
	start_watcher();
	assert_true(pod_at("10.200.3.2", &ref));
	assert_string_equal(ref.name, "payments-0");
	assert_int_equal(stats_of(K8S_KIND_POD).errors, 0);
}

static void test_watch_tls_untrusted_fails(void **state)
{
	char cmd[PATH_MAX + 256];

	(void)state;
	SKIP_WITHOUT_PYTHON();
	start_tls(NULL);
	snprintf(cmd, sizeof(cmd),
		 "cd '%s' && openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 "
		 "-nodes -keyout other.key -out other.crt -days 1 -subj /CN=other-ca 2>/dev/null",
		 tmpdir);
	assert_int_equal(system(cmd), 0);
	snprintf(wt.cfg.server, sizeof(wt.cfg.server), "https://127.0.0.1:%d", server_port);
	/* a valid CA, but not this server's: must not sync */
	assert_int_equal(read_file(path_in("other.crt"), PEM_MAX, &wt.cfg.ca_pem, NULL), 0);
	assert_int_equal(k8s_watcher_start(&wt.cfg, &wt.opts, wt.idx, &wt.w), 0);
	assert_false(k8s_watcher_wait_synced(wt.w, 1500));
	assert_true(stats_of(K8S_KIND_POD).errors >= 1);
	assert_false(pod_at("10.200.1.2", &(struct k8s_pod_ref){0}));
}

/* In-cluster over TLS; the server starts accepting another token and the file rotates. */
static void test_watch_token_rotation(void **state)
{
	const char *extra[] = {"--token", "token-one-AAAA", NULL};
	char sa[PATH_MAX + 64], port[16];

	(void)state;
	SKIP_WITHOUT_PYTHON();
	start_tls(extra);
	snprintf(sa, sizeof(sa), "%s", tmpdir);
	write_file("token", "token-one-AAAA\n");
	snprintf(port, sizeof(port), "%d", server_port);
	setenv("KUBERNETES_SERVICE_HOST", "127.0.0.1", 1);
	setenv("KUBERNETES_SERVICE_PORT", port, 1);
	assert_int_equal(k8s_config_in_cluster(sa, &wt.cfg, err, sizeof(err)), 0);
	unsetenv("KUBERNETES_SERVICE_HOST");
	unsetenv("KUBERNETES_SERVICE_PORT");
	start_watcher();
	WAIT_STAT(K8S_KIND_POD, watches, 1);

	ctl("token", "{\"token\": \"token-two-BBBB\"}");
	ctl("drop-watches", "{}");
	WAIT_STAT(K8S_KIND_POD, errors, 2); /* 401s until the file changes */
	assert_true(log_has("401 Unauthorized"));
	write_file("token", "token-two-BBBB\n");
	ctl("apply", pod("after-rotation", "node-a", "10.200.9.5", "rotated"));
	assert_true(wait_pod("10.200.9.5", true, "rotated"));
	assert_false(log_has("token-one-AAAA"));
	assert_false(log_has("token-two-BBBB"));
}

static void test_watch_wrong_token_is_named(void **state)
{
	(void)state;
	SKIP_WITHOUT_PYTHON();
	server_start((const char *[]){"--token", "right", NULL});
	snprintf(wt.cfg.server, sizeof(wt.cfg.server), "%s", server_url);
	wt.cfg.token = strdup("wrong-token-value");
	assert_int_equal(k8s_watcher_start(&wt.cfg, &wt.opts, wt.idx, &wt.w), 0);
	WAIT_STAT(K8S_KIND_ENDPOINTSLICE, errors, 1);
	assert_false(k8s_watcher_wait_synced(wt.w, 200));
	assert_non_null(strstr(stats_of(K8S_KIND_ENDPOINTSLICE).last_error, "401 Unauthorized"));
	assert_false(log_has("wrong-token-value"));
}

static void test_watch_forbidden_names_rbac(void **state)
{
	const char *e;

	(void)state;
	SKIP_WITHOUT_PYTHON();
	server_start(NULL);
	ctl("forbid", "{\"resources\": [\"endpointslices\"]}");
	snprintf(wt.cfg.server, sizeof(wt.cfg.server), "%s", server_url);
	assert_int_equal(k8s_watcher_start(&wt.cfg, &wt.opts, wt.idx, &wt.w), 0);
	WAIT_STAT(K8S_KIND_ENDPOINTSLICE, errors, 1);
	WAIT_STAT(K8S_KIND_POD, synced, 1); /* the other kinds are not held back */
	e = stats_of(K8S_KIND_ENDPOINTSLICE).last_error;
	if (!strstr(e, "403") || !strstr(e, "list and watch") || !strstr(e, "endpointslices") ||
	    !strstr(e, "discovery.k8s.io"))
		fail_msg("403 should name the RBAC verbs, resource and group: %s", e);
	assert_true(log_has("403 Forbidden"));
	ctl("forbid", "{\"resources\": []}"); /* RBAC fixed: it recovers on its own */
	WAIT_STAT(K8S_KIND_ENDPOINTSLICE, synced, 1);
}

static void test_watch_node_scoped(void **state)
{
	(void)state;
	SKIP_WITHOUT_PYTHON();
	wt.opts.node_scoped = true;
	wt.opts.node_name = "node-b";
	start_plain(NULL);
	struct k8s_index_stats is;

	assert_true(pod_at("10.200.4.2", &(struct k8s_pod_ref){0}));
	k8s_index_get_stats(wt.idx, &is);
	assert_int_equal(is.objects[K8S_KIND_POD], 1); /* node-a's pods were not sent */
	assert_int_equal(stats_of(K8S_KIND_POD).list_objects, 1);
	assert_int_equal(server_counter("pods", "list", "objects"), 1);
	/* Services and slices are still cluster-wide */
	assert_int_equal(stats_of(K8S_KIND_SERVICE).list_objects, 7);
	/* a pod scheduled to another node is not sent to us */
	ctl("apply", pod("elsewhere", "node-a", "10.200.9.6", "x"));
	ctl("apply", pod("here", "node-b", "10.200.9.7", "y"));
	assert_true(wait_pod("10.200.9.7", true, "y"));
	assert_false(pod_at("10.200.9.6", &(struct k8s_pod_ref){0}));
	assert_int_equal(stats_of(K8S_KIND_POD).events, 1);
}

static void test_watch_oversized_event_relists(void **state)
{
	json_t *doc, *meta;
	char *big, *body;

	(void)state;
	SKIP_WITHOUT_PYTHON();
	start_plain(NULL);
	WAIT_STAT(K8S_KIND_POD, watches, 1);
	doc = json_loads(pod("huge", "node-a", "10.200.9.8", "huge"), 0, NULL);
	meta = json_object_get(json_object_get(doc, "object"), "metadata");
	big = malloc(EVENT_MAX + 1);
	memset(big, 'x', EVENT_MAX);
	big[EVENT_MAX] = '\0';
	json_object_set_new(meta, "annotations", json_pack("{s:s}", "big", big));
	free(big);
	body = json_dumps(doc, JSON_COMPACT);
	json_decref(doc);
	ctl("apply", body);
	free(body);
	WAIT_STAT(K8S_KIND_POD, errors, 1);
	assert_non_null(strstr(stats_of(K8S_KIND_POD).last_error, "larger than 16 MiB"));
	WAIT_STAT(K8S_KIND_POD, lists, 2); /* relisted: a list page may hold it */
	assert_true(wait_pod("10.200.9.8", true, "huge"));
}

static void test_watch_stop_is_prompt(void **state)
{
	struct timespec a, b;
	double ms;

	(void)state;
	SKIP_WITHOUT_PYTHON();
	wt.opts.timeout_s = 600;
	start_plain(NULL);
	WAIT_STAT(K8S_KIND_ENDPOINTSLICE, watches, 1);
	usleep(300000); /* every watch idle on the wire */
	clock_gettime(CLOCK_MONOTONIC, &a);
	k8s_watcher_stop(wt.w);
	clock_gettime(CLOCK_MONOTONIC, &b);
	wt.w = NULL;
	ms = (double)(b.tv_sec - a.tv_sec) * 1e3 + (double)(b.tv_nsec - a.tv_nsec) / 1e6;
	if (ms > 1000)
		fail_msg("stop took %.0f ms", ms);
}

/* ---- the load tool's driver -------------------------------------------------- */

static void print_stats(const char *mode, const char *node)
{
	struct k8s_kind_stats s[K8S_KIND__MAX];
	int i;

	k8s_watcher_get_stats(wt.w, s);
	printf("{\"mode\": \"%s\", \"node\": \"%s\", \"kinds\": {", mode, node ? node : "");
	for (i = 0; i < KINDS_WATCHED; i++)
		printf("%s\"%s\": {\"lists\": %llu, \"list_objects\": %llu, \"events\": %llu, "
		       "\"bytes\": %llu, \"errors\": %llu}",
		       i ? ", " : "", k8s_kind_name(i), (unsigned long long)s[i].lists,
		       (unsigned long long)s[i].list_objects, (unsigned long long)s[i].events,
		       (unsigned long long)s[i].bytes, (unsigned long long)s[i].errors);
	printf("}}\n");
	fflush(stdout);
}

/* --watch-load URL cluster|node NODE SECONDS: sync, print, watch, print again. */
static int watch_load(int argc, char **argv)
{
	const char *mode = argc > 3 ? argv[3] : "cluster";
	unsigned int secs = argc > 5 ? (unsigned int)atoi(argv[5]) : 5;

	if (argc < 4) {
		fprintf(stderr, "usage: %s --watch-load URL cluster|node [NODE] [SECONDS]\n",
			argv[0]);
		return 2;
	}
	log_echo = true;
	wt.idx = k8s_index_new(NULL);
	snprintf(wt.cfg.server, sizeof(wt.cfg.server), "%s", argv[2]);
	wt.opts.node_scoped = !strcmp(mode, "node");
	wt.opts.node_name = argc > 4 ? argv[4] : "";
	if (!wt.idx || k8s_watcher_start(&wt.cfg, &wt.opts, wt.idx, &wt.w) ||
	    !k8s_watcher_wait_synced(wt.w, 120000)) {
		fprintf(stderr, "watch-load: could not sync from %s\n", argv[2]);
		return 1;
	}
	print_stats(mode, wt.opts.node_name);
	sleep(secs);
	print_stats(mode, wt.opts.node_name);
	k8s_watcher_stop(wt.w);
	k8s_index_free(wt.idx);
	return 0;
}

#define WT(fn) cmocka_unit_test_setup_teardown(fn, watcher_setup, watcher_teardown)

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_kubeconfig_contexts, make_tmpdir, remove_tmpdir),
	    cmocka_unit_test_setup_teardown(test_kubeconfig_relative_paths, make_tmpdir,
					    remove_tmpdir),
	    cmocka_unit_test_setup_teardown(test_kubeconfig_errors, make_tmpdir, remove_tmpdir),
	    cmocka_unit_test_setup_teardown(test_in_cluster, make_tmpdir, remove_tmpdir),
	    WT(test_watch_sync_and_events),
	    WT(test_watch_paging),
	    WT(test_watch_bookmarks),
	    WT(test_watch_gone_event_relists),
	    WT(test_watch_gone_http_relists),
	    WT(test_watch_dropped_resumes_without_relist),
	    WT(test_watch_server_down_and_back),
	    WT(test_watch_hung_server_named),
	    WT(test_list_hung_server_named),
	    WT(test_watch_tls_kubeconfig_client_cert),
	    WT(test_watch_tls_untrusted_fails),
	    WT(test_watch_token_rotation),
	    WT(test_watch_wrong_token_is_named),
	    WT(test_watch_forbidden_names_rbac),
	    WT(test_watch_node_scoped),
	    WT(test_watch_oversized_event_relists),
	    WT(test_watch_stop_is_prompt),
	};

	if (argc > 1 && !strcmp(argv[1], "--watch-load"))
		return watch_load(argc, argv);
	signal(SIGPIPE, SIG_IGN);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
