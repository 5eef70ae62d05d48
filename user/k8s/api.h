/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The Kubernetes API client: where the API server is and how to prove who we
 * are (in-cluster service account or a kubeconfig), then list-and-watch of
 * pods, Services and EndpointSlices into a k8s_index, the way a controller's
 * informer does it: list with resourceVersion, watch from there with
 * allowWatchBookmarks, relist on 410 Gone, reconnect with jittered
 * exponential backoff, re-read a projected token when it rotates.
 *
 * libcurl carries HTTP, jansson parses each watch event (one JSON object per
 * line), libyaml reads kubeconfig files.
 */
#ifndef MESHSIGHT_K8S_API_H
#define MESHSIGHT_K8S_API_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "k8s/index.h"

#define K8S_SERVER_MAX 512

struct k8s_api_config {
	char server[K8S_SERVER_MAX]; /* https://host:port, no trailing slash */
	/* Trust: a CA file, or PEM bytes from a kubeconfig's *-data fields. */
	char ca_file[PATH_MAX];
	char *ca_pem; /* malloc'd or NULL */
	/* Credentials: a bearer token file re-read when it changes (in-cluster
	 * projected tokens rotate), a fixed token, or a client certificate. */
	char token_file[PATH_MAX];
	char *token; /* malloc'd or NULL */
	char client_cert_file[PATH_MAX];
	char client_key_file[PATH_MAX];
	char *client_cert_pem; /* malloc'd or NULL */
	char *client_key_pem;  /* malloc'd or NULL */
	bool insecure_skip_tls_verify;
	char source[PATH_MAX + 32]; /* "in-cluster" or "kubeconfig <path> context <name>" */
};

/*
 * In-cluster: KUBERNETES_SERVICE_HOST/PORT and the service account's token
 * and CA under dir (NULL: /var/run/secrets/kubernetes.io/serviceaccount).
 * -ENOENT when not running in a pod; err says what is missing.
 */
int k8s_config_in_cluster(const char *dir, struct k8s_api_config *cfg, char *err, size_t errlen);
/*
 * A kubeconfig file's current context (or context when not NULL). Relative
 * file paths are resolved against the kubeconfig's directory. -errno with a
 * message naming the file and the problem.
 */
int k8s_config_kubeconfig(const char *path, const char *context, struct k8s_api_config *cfg,
			  char *err, size_t errlen);
void k8s_config_free(struct k8s_api_config *cfg);

struct k8s_watch_opts {
	/* Pods on this node only (fieldSelector spec.nodeName=<node_name>).
	 * Remote pods are then named from EndpointSlices' targetRef and nodeName. */
	bool node_scoped;
	const char *node_name;	/* required when node_scoped */
	unsigned int timeout_s; /* server-side watch timeout per request; default 300 */
	unsigned int backoff_min_ms, backoff_max_ms; /* defaults 500 and 30000 */
	/*
	 * A request the server took but has not answered (no status line) after
	 * stall_s, or a list whose body stops for stall_s, fails: counted in
	 * errors and warned about, naming the server. Default 10.
	 */
	unsigned int stall_s;
	/* Istio VirtualServices: NULL or "off" (not watched), "v1" or "v1beta1". */
	const char *virtual_services;
};

struct k8s_kind_stats {
	uint64_t lists;	       /* successful list requests */
	uint64_t watches;      /* watch requests started */
	uint64_t events;       /* ADDED/MODIFIED/DELETED applied */
	uint64_t bookmarks;    /* BOOKMARK events */
	uint64_t gone;	       /* 410 Gone (watch or list): relisted */
	uint64_t errors;       /* failed requests and undecodable events */
	uint64_t bytes;	       /* response bytes received */
	uint64_t list_objects; /* objects received in lists */
	bool synced;	       /* a list has completed and the watch is running */
	char resource_version[64];
	char last_error[256];
};

struct k8s_watcher;

/* Starts one thread per kind. cfg is copied. 0 or -errno. */
int k8s_watcher_start(const struct k8s_api_config *cfg, const struct k8s_watch_opts *opts,
		      struct k8s_index *idx, struct k8s_watcher **out);
/* Waits up to timeout_ms for every kind's first list; true when all synced. */
bool k8s_watcher_wait_synced(struct k8s_watcher *w, unsigned int timeout_ms);
void k8s_watcher_get_stats(struct k8s_watcher *w, struct k8s_kind_stats out[K8S_KIND__MAX]);
/* Stops the threads (aborting open requests) and frees w. */
void k8s_watcher_stop(struct k8s_watcher *w);

/* "pods", "services", "endpointslices", "virtualservices" */
const char *k8s_kind_name(enum k8s_kind kind);

#endif /* MESHSIGHT_K8S_API_H */
