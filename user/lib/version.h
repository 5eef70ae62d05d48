/* SPDX-License-Identifier: BSD-2-Clause */
/* The agent's version: in --version, the User-Agent of its HTTP clients and OTLP's scope. */
#ifndef MESHSIGHT_VERSION_H
#define MESHSIGHT_VERSION_H

#define MESHSIGHT_VERSION "0.1.0"

#endif /* MESHSIGHT_VERSION_H */
