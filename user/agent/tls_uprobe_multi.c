// SPDX-License-Identifier: BSD-2-Clause
/*
 * See tls_uprobe_multi.h. The link is created with the kernel's own
 * BPF_LINK_CREATE layout for uprobe_multi (include/uapi/linux/bpf.h of 6.6):
 * prog_fd, target_fd, attach_type, flags, then path, offsets,
 * ref_ctr_offsets, cookies, cnt, flags, pid. Offsets are file offsets, not
 * addresses: an ELF symbol's value is converted through the PT_LOAD header
 * that maps it.
 */
#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <libelf.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <linux/bpf.h>

#include "agent/tls_uprobe_multi.h"

struct umulti_link_attr {
	uint32_t prog_fd;
	uint32_t target_fd;
	uint32_t attach_type;
	uint32_t flags;
	uint64_t path;
	uint64_t offsets;
	uint64_t ref_ctr_offsets;
	uint64_t cookies;
	uint32_t cnt;
	uint32_t umulti_flags;
	uint32_t pid;
	uint32_t _pad[9]; /* the rest of union bpf_attr's link_create stays zero */
};

int tls_umulti_attach(int prog_fd, const char *path, const uint64_t *offs, uint32_t cnt, bool ret)
{
	struct umulti_link_attr a;
	long fd;

	memset(&a, 0, sizeof(a));
	a.prog_fd = prog_fd;
	a.attach_type = TLS_ATTACH_UPROBE_MULTI;
	a.path = (uint64_t)(uintptr_t)path;
	a.offsets = (uint64_t)(uintptr_t)offs;
	a.cnt = cnt;
	a.umulti_flags = ret ? TLS_UPROBE_MULTI_RETURN : 0;
	fd = syscall(__NR_bpf, BPF_LINK_CREATE, &a, sizeof(a));
	return fd < 0 ? -errno : (int)fd;
}

/*
 * A two-instruction program on offset 0 of our own executable: the ELF
 * header, never executed, so the probe is registered but never hit.
 */
bool tls_umulti_supported(void)
{
	const struct bpf_insn insns[] = {
	    {.code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = BPF_REG_0},
	    {.code = BPF_JMP | BPF_EXIT},
	};
	LIBBPF_OPTS(bpf_prog_load_opts, o,
		    .expected_attach_type = (enum bpf_attach_type)TLS_ATTACH_UPROBE_MULTI);
	uint64_t off = 0;
	int prog, link;

	prog = bpf_prog_load(BPF_PROG_TYPE_KPROBE, NULL, "GPL", insns, 2, &o);
	if (prog < 0)
		return false;
	link = tls_umulti_attach(prog, "/proc/self/exe", &off, 1, false);
	close(prog);
	if (link < 0)
		return false;
	close(link);
	return true;
}

/* The file offset of virtual address v, from the PT_LOAD header that maps it. */
static uint64_t vaddr_to_offset(Elf *elf, uint64_t v)
{
	size_t i, n;
	GElf_Phdr ph;

	if (elf_getphdrnum(elf, &n))
		return 0;
	for (i = 0; i < n; i++) {
		if (!gelf_getphdr(elf, (int)i, &ph) || ph.p_type != PT_LOAD || !(ph.p_flags & PF_X))
			continue;
		if (v >= ph.p_vaddr && v < ph.p_vaddr + ph.p_memsz)
			return v - ph.p_vaddr + ph.p_offset;
	}
	return 0;
}

static void scan_dynsym(Elf *elf, Elf_Scn *scn, const GElf_Shdr *sh, const char *const names[],
			size_t n, uint64_t offs[])
{
	Elf_Data *data = elf_getdata(scn, NULL);
	size_t i, j, count = sh->sh_entsize ? sh->sh_size / sh->sh_entsize : 0;
	GElf_Sym sym;
	const char *name;

	for (i = 0; data && i < count; i++) {
		if (!gelf_getsym(data, (int)i, &sym) || GELF_ST_TYPE(sym.st_info) != STT_FUNC ||
		    sym.st_shndx == SHN_UNDEF)
			continue;
		name = elf_strptr(elf, sh->sh_link, sym.st_name);
		for (j = 0; name && j < n; j++)
			if (!offs[j] && !strcmp(name, names[j]))
				offs[j] = vaddr_to_offset(elf, sym.st_value);
	}
}

int tls_elf_func_offsets(const char *path, const char *const names[], size_t n, uint64_t offs[])
{
	Elf_Scn *scn = NULL;
	GElf_Shdr sh;
	Elf *elf;
	int fd, ret = 0;

	memset(offs, 0, n * sizeof(*offs));
	if (elf_version(EV_CURRENT) == EV_NONE)
		return -EINVAL;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	elf = elf_begin(fd, ELF_C_READ, NULL);
	if (!elf) {
		ret = -EINVAL;
		goto out_close;
	}
	while ((scn = elf_nextscn(elf, scn)))
		if (gelf_getshdr(scn, &sh) && sh.sh_type == SHT_DYNSYM)
			scan_dynsym(elf, scn, &sh, names, n, offs);
	elf_end(elf);
out_close:
	close(fd);
	return ret;
}
