/* SPDX-License-Identifier: GPL-2.0-or-later OR BSD-2-Clause */
/*
 * trap.c — CPU accesses the kernel would fault on, or that the cache model
 * wants to see the moment they happen (no kernel twin: the kernel takes a
 * data abort in arch/arm64/mm/fault.c; here a SIGSEGV handler turns the
 * fault into a report and lets the access go on).
 *
 * The linear map (physmem.c) is PROT_NONE where
 *   - the kernel has no mapping at all (no-map reserved memory);
 *   - a page has a non-cacheable alias (a coherent buffer of a
 *     non-coherent device, a WC pool) and the knob cpu_traps is on: the
 *     kernel would let the CPU in through the cacheable alias and the
 *     two views would silently disagree;
 *   - strict ownership mode is on and a streaming mapping the device owns
 *     covers the page.
 * The handler is installed with the first machine and put back in front
 * whenever the library is about to make a page trap and finds another
 * handler in its place (test frameworks install theirs around each
 * test); faults that are not ours go to the handler it replaced.  It
 * finds the machine and page, files the report, opens the page
 * (PROT_READ|PROT_WRITE) and returns, so the faulting instruction
 * runs again and succeeds.  The page stays open until the library next
 * sets its protection: a mapping on it changing hands (strict mode), or
 * a non-cacheable alias of it made or removed.  A fault anywhere else goes to the handler
 * that was installed before ours, or to the default action.
 *
 * The report is made inside the signal handler.  That is safe here
 * because the faulting access is the driver's own load or store into
 * simulated memory, never code inside the library or libc's allocator:
 * the library touches these pages only through its unprotected views.
 *
 * Left out: page granularity is the host's MMU's (4 KiB).  In strict mode
 * an access to other data on a page that a device-owned buffer shares
 * opens the page without a report, and the rest of that episode on the
 * page goes unwatched.  A 16 KiB or
 * 64 KiB host page would widen every trap.  Machines beyond the 64th live
 * one at a time are not watched.
 */
#include <signal.h>
#include <stdatomic.h>
#include <sys/mman.h>
#include <ucontext.h>

#include "internal.h"

#define TRAP_SLOTS 64

static struct dmapool_machine *_Atomic slots[TRAP_SLOTS];
static pthread_mutex_t trap_lock = PTHREAD_MUTEX_INITIALIZER;
static int users;
static struct sigaction old_segv;

static int fault_is_write(void *ucv)
{
#if defined(__x86_64__)
	ucontext_t *uc = ucv;

	return (uc->uc_mcontext.gregs[REG_ERR] & 2) ? 1 : 0;
#else
	(void)ucv;
	return -1;
#endif
}

static const char *access_word(int w)
{
	return w < 0 ? "access" : w ? "write" : "read";
}

static bool handle(struct dmapool_machine *m, uint8_t *a, int w)
{
	for (size_t i = 0; i < m->pm.nbanks; i++) {
		struct pm_bank *b = &m->pm.banks[i];
		phys_addr_t pa, pg;
		uint64_t pgi;
		uint8_t uc;
		bool owned;

		if (a < b->linear || a >= b->linear + b->size)
			continue;
		pa = b->base + (phys_addr_t)(a - b->linear);
		pgi = (pa - b->base) >> b->pshift;
		pg = b->base + (pgi << b->pshift);
		uc = b->ucnt[pgi];
		owned = b->sown && b->sown[pgi];
		if (!uc && !owned)
			return false;	/* not ours: some other protection */
		mprotect(b->linear + (pg - b->base), (size_t)1 << b->pshift,
			 PROT_READ | PROT_WRITE);
		if (uc == 255) {
			report_ex(m, "cpu-nomap-access", NULL, pa, 1, pa, PHYS_NONE,
				  "[phys=0x%llx] [cpu=%p] CPU %s through the linear map of no-map reserved memory: the kernel has no mapping there and would take a data abort. Fix: reach the region through memremap() or the pool's dma_alloc_coherent() address.",
				  (unsigned long long)pa, (void *)a, access_word(w));
		} else if (uc) {
			report_ex(m, "cpu-alias-access", NULL, pa, 1, pa, PHYS_NONE,
				  "[phys=0x%llx] [cpu=%p] CPU %s through the cacheable linear alias of memory that has a non-cacheable (WC or UC) mapping: the two views do not see each other's data. Fix: use only the pointer dma_alloc_*() or memremap() returned.",
				  (unsigned long long)pa, (void *)a, access_word(w));
		} else {
			struct device *d = NULL;
			struct dbg_entry *e = debug_find_phys(m, pa, pa + 1, &d);

			/* Another buffer on the page is the device's, not this
			 * byte: page granularity.  Let the access through
			 * quietly; the page stays open until it is protected
			 * again. */
			if (!e)
				return true;
			report_ex(m, "cpu-access-device-owned", d,
				  e ? e->dma : pa, e ? e->size : 1, pa, PHYS_NONE,
				  "[device=%s] [dma=0x%llx] [phys=0x%llx] [size=%zu] [cpu=%p] CPU %s to a buffer the device owns (mapped or synced for the device, not yet synced back): it races with the transfer. Fix: call dma_sync_single_for_cpu() or unmap before the CPU touches the buffer.",
				  d->name,
				  (unsigned long long)(e ? e->dma : 0),
				  (unsigned long long)pa, e ? e->size : (size_t)0,
				  (void *)a, access_word(w));
		}
		return true;
	}
	return false;
}

static void chain(int sig, siginfo_t *si, void *uc)
{
	if (old_segv.sa_flags & SA_SIGINFO) {
		if (old_segv.sa_sigaction) {
			old_segv.sa_sigaction(sig, si, uc);
			return;
		}
	} else if (old_segv.sa_handler != SIG_DFL && old_segv.sa_handler != SIG_IGN) {
		old_segv.sa_handler(sig);
		return;
	}
	/* default action: let the access fault again without us */
	signal(SIGSEGV, SIG_DFL);
}

static void on_segv(int sig, siginfo_t *si, void *uc)
{
	uint8_t *a = si->si_addr;
	int w = fault_is_write(uc);

	for (int i = 0; i < TRAP_SLOTS; i++) {
		struct dmapool_machine *m = atomic_load(&slots[i]);

		if (m && handle(m, a, w))
			return;
	}
	chain(sig, si, uc);
}

static void install(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = on_segv;
	sa.sa_flags = SA_SIGINFO | SA_NODEFER;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGSEGV, &sa, &old_segv);
}

/*
 * Someone may have put their own handler in since (cmocka does around
 * every test): put ours back in front of it before the library makes a
 * page trap.  Cheap: one sigaction() when nothing changed.
 */
void trap_ensure(void)
{
	struct sigaction cur;

	if (!__atomic_load_n(&users, __ATOMIC_RELAXED))
		return;
	pthread_mutex_lock(&trap_lock);
	if (__atomic_load_n(&users, __ATOMIC_RELAXED) && sigaction(SIGSEGV, NULL, &cur) == 0 &&
	    !((cur.sa_flags & SA_SIGINFO) && cur.sa_sigaction == on_segv))
		install();
	pthread_mutex_unlock(&trap_lock);
}

void trap_register(struct dmapool_machine *m)
{
	if (!m->prof.cpu_traps && !m->prof.strict_ownership)
		return;
	pthread_mutex_lock(&trap_lock);
	for (int i = 0; i < TRAP_SLOTS; i++)
		if (!atomic_load(&slots[i])) {
			atomic_store(&slots[i], m);
			m->trap_slot = i;
			break;
		}
	if (m->trap_slot >= 0 && __atomic_fetch_add(&users, 1, __ATOMIC_RELAXED) == 0)
		install();
	pthread_mutex_unlock(&trap_lock);
	trap_ensure();
}

void trap_unregister(struct dmapool_machine *m)
{
	pthread_mutex_lock(&trap_lock);
	if (m->trap_slot >= 0) {
		atomic_store(&slots[m->trap_slot], NULL);
		m->trap_slot = -1;
		if (__atomic_sub_fetch(&users, 1, __ATOMIC_RELAXED) == 0) {
			struct sigaction cur;

			/* put back what was there, unless someone replaced us */
			sigaction(SIGSEGV, NULL, &cur);
			if ((cur.sa_flags & SA_SIGINFO) && cur.sa_sigaction == on_segv)
				sigaction(SIGSEGV, &old_segv, NULL);
		}
	}
	pthread_mutex_unlock(&trap_lock);
}
