/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
#ifndef MESHSIGHT_MAPS_SOCK_STATE_H
#define MESHSIGHT_MAPS_SOCK_STATE_H

#include "../sock.h"

struct {
	__uint(type, BPF_MAP_TYPE_SK_STORAGE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, int);
	__type(value, struct ms_sock);
} sock_state SEC(".maps") __weak;

#endif /* MESHSIGHT_MAPS_SOCK_STATE_H */
