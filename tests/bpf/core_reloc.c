// SPDX-License-Identifier: BSD-2-Clause
/*
 * CO-RE: the object built here must relocate against other kernels' types.
 *
 *   core_reloc build/meshsight.bpf.o MIN.btf SHIFTED.btf
 *
 * MIN.btf is `bpftool gen min_core_btf` of this kernel for the object: only
 * the types its relocations name. Two checks, each loading every program
 * into this kernel (nothing is attached):
 *
 * 1. Against MIN.btf as the kernel's BTF (libbpf's btf_custom_path): every
 *    relocation finds its type and field in a BTF that is not vmlinux.
 * 2. Against SHIFTED.btf, written here from MIN.btf with two pairs of same-size
 *    fields swapped (bpf_sock_ops.local_port <-> remote_port, bpf_tcp_sock
 *    bytes_acked <-> bytes_received): the loaded instructions must read the
 *    fields at the swapped offsets, in every program, and nowhere else differ,
 *    which proves the offsets come from the target BTF, not from the headers
 *    the object was compiled with. The swaps are legal context reads, so the
 *    verifier accepts the (semantically wrong) programs.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <bpf/btf.h>
#include <bpf/libbpf.h>
#include <linux/bpf.h>

#define PROGS_MAX 8

struct swap {
	const char *type, *a, *b;
	__u32 off_a, off_b; /* bytes, in this kernel's layout */
};

static struct swap swaps[] = {
    {"bpf_sock_ops", "local_port", "remote_port", 0, 0},
    {"bpf_tcp_sock", "bytes_acked", "bytes_received", 0, 0},
};

#define NSWAPS (sizeof(swaps) / sizeof(swaps[0]))

static struct btf_member *member(const struct btf *btf, const struct btf_type *t, const char *name)
{
	struct btf_member *m = btf_members(t);
	int i;

	for (i = 0; i < btf_vlen(t); i++, m++)
		if (!strcmp(btf__name_by_offset(btf, m->name_off), name))
			return m;
	return NULL;
}

/* Writes MIN.btf with each swap's two member offsets exchanged. */
static int write_shifted(const char *min_path, const char *out_path)
{
	struct btf *btf = btf__parse(min_path, NULL);
	const void *raw;
	__u32 size, tmp;
	size_t i;
	FILE *f;

	if (!btf) {
		fprintf(stderr, "core_reloc: cannot parse %s: %s\n", min_path, strerror(errno));
		return -errno;
	}
	for (i = 0; i < NSWAPS; i++) {
		int id = btf__find_by_name_kind(btf, swaps[i].type, BTF_KIND_STRUCT);
		const struct btf_type *t = id > 0 ? btf__type_by_id(btf, id) : NULL;
		struct btf_member *a = t ? member(btf, t, swaps[i].a) : NULL;
		struct btf_member *b = t ? member(btf, t, swaps[i].b) : NULL;

		if (!a || !b) {
			fprintf(stderr,
				"core_reloc: %s.%s/%s not in %s: the object no longer reads "
				"them; pick other fields\n",
				swaps[i].type, swaps[i].a, swaps[i].b, min_path);
			btf__free(btf);
			return -ENOENT;
		}
		swaps[i].off_a = a->offset / 8;
		swaps[i].off_b = b->offset / 8;
		/* Parsed BTF is edited in place: btf__raw_data() returns the same bytes. */
		tmp = a->offset;
		a->offset = b->offset;
		b->offset = tmp;
	}
	raw = btf__raw_data(btf, &size);
	f = fopen(out_path, "we");
	if (!f || fwrite(raw, 1, size, f) != size) {
		fprintf(stderr, "core_reloc: cannot write %s: %s\n", out_path, strerror(errno));
		if (f)
			fclose(f);
		btf__free(btf);
		return -EIO;
	}
	fclose(f);
	btf__free(btf);
	return 0;
}

struct image {
	char name[64];
	struct bpf_insn *insns;
	size_t n;
};

/* Opens the object (against btf_path when given), loads it if asked, copies each program. */
static int take_images(const char *obj_path, const char *btf_path, bool load, struct image *img,
		       int *nimg)
{
	LIBBPF_OPTS(bpf_object_open_opts, opts, .btf_custom_path = btf_path);
	struct bpf_object *obj = bpf_object__open_file(obj_path, &opts);
	struct bpf_program *prog;
	int ret = 0;

	*nimg = 0;
	if (!obj)
		return -errno;
	if (load && (ret = bpf_object__load(obj))) {
		fprintf(stderr, "core_reloc: loading %s against %s failed: %s\n", obj_path,
			btf_path ? btf_path : "vmlinux", strerror(-ret));
		goto out;
	}
	bpf_object__for_each_program(prog, obj)
	{
		struct image *m = &img[*nimg];

		if (*nimg == PROGS_MAX)
			break;
		if (load && bpf_program__fd(prog) < 0) {
			fprintf(stderr, "core_reloc: %s not loaded\n", bpf_program__name(prog));
			ret = -EINVAL;
			goto out;
		}
		snprintf(m->name, sizeof(m->name), "%s", bpf_program__name(prog));
		m->n = bpf_program__insn_cnt(prog);
		m->insns = malloc(m->n * sizeof(*m->insns));
		if (!m->insns) {
			ret = -ENOMEM;
			goto out;
		}
		memcpy(m->insns, bpf_program__insns(prog), m->n * sizeof(*m->insns));
		(*nimg)++;
	}
out:
	bpf_object__close(obj);
	return ret;
}

static bool swapped_pair(__s16 from, __s16 to)
{
	size_t i;

	for (i = 0; i < NSWAPS; i++)
		if ((from == (__s16)swaps[i].off_a && to == (__s16)swaps[i].off_b) ||
		    (from == (__s16)swaps[i].off_b && to == (__s16)swaps[i].off_a))
			return true;
	return false;
}

/* Memory-access offsets that differ between the compiled and the loaded program. */
static int compare(const struct image *ref, const struct image *got, int *moved)
{
	size_t i;
	int bad = 0;

	*moved = 0;
	for (i = 0; i < ref->n && i < got->n; i++) {
		__u8 cls = BPF_CLASS(ref->insns[i].code);

		if (cls != BPF_LDX && cls != BPF_STX && cls != BPF_ST)
			continue;
		if (ref->insns[i].off == got->insns[i].off)
			continue;
		if (swapped_pair(ref->insns[i].off, got->insns[i].off)) {
			(*moved)++;
			continue;
		}
		printf("FAIL %s: insn %zu offset %d became %d, which no swap explains\n", ref->name,
		       i, ref->insns[i].off, got->insns[i].off);
		bad++;
	}
	return bad;
}

static void free_images(struct image *img, int n)
{
	while (n-- > 0)
		free(img[n].insns);
}

int main(int argc, char **argv)
{
	struct image ref[PROGS_MAX], got[PROGS_MAX];
	int nref = 0, ngot = 0, i, moved, fails = 0, ret;

	if (argc != 4) {
		fprintf(stderr, "usage: core_reloc OBJ MIN.btf SHIFTED.btf\n");
		return 2;
	}
	ret = take_images(argv[1], argv[2], true, got, &ngot);
	if (ret)
		return 1;
	printf("relocated against %s (not vmlinux): %d programs loaded\n", argv[2], ngot);
	free_images(got, ngot);

	if (write_shifted(argv[2], argv[3]))
		return 1;
	if (take_images(argv[1], NULL, false, ref, &nref) ||
	    take_images(argv[1], argv[3], true, got, &ngot) || nref != ngot)
		return 1;
	for (i = 0; i < nref; i++) {
		fails += compare(&ref[i], &got[i], &moved);
		printf("  %-15s %3d field reads moved to the swapped offsets\n", ref[i].name,
		       moved);
		if (!moved) {
			printf("FAIL %s: no relocation followed the swapped fields\n", ref[i].name);
			fails++;
		}
	}
	printf("relocated against %s (%zu field pairs swapped): %s\n", argv[3], NSWAPS,
	       fails ? "FAILED" : "every program follows the target BTF");
	free_images(ref, nref);
	free_images(got, ngot);
	return fails ? 1 : 0;
}
