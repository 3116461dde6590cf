/*
 * intel.c - growable record lists for struct cw_provider_intel.
 */
#include <stdlib.h>
#include <string.h>

#include "carewatch/intel.h"

static bool
grow(void **v, size_t *cap, size_t need, size_t elem)
{
	size_t ncap;
	void *nv;

	if (need <= *cap)
		return true;
	ncap = *cap ? *cap * 2 : 16;
	while (ncap < need)
		ncap *= 2;
	nv = realloc(*v, ncap * elem);
	if (nv == NULL)
		return false;
	*v = nv;
	*cap = ncap;
	return true;
}

#define APPEND(list, rec)                                                         \
	do {                                                                      \
		void *tmp_ = (list).v;                                            \
		if (!grow(&tmp_, &(list).cap, (list).n + 1, sizeof(*(list).v)))   \
			return false;                                             \
		(list).v = tmp_;                                                  \
		(list).v[(list).n++] = *(rec);                                    \
		return true;                                                      \
	} while (0)

void
cw_intel_init(struct cw_provider_intel *pi)
{
	memset(pi, 0, sizeof(*pi));
	pi->beds = -1;
}

void
cw_intel_reset(struct cw_provider_intel *pi)
{
	pi->provider_id[0] = '\0';
	pi->care_type = CW_CARE_HOME_CARE;
	pi->beds = -1;
	pi->concerns.n = pi->visits.n = pi->safeguardings.n = pi->cqc.n = 0;
	pi->ipc.n = pi->surveys.n = pi->restrictions.n = pi->notices.n = pi->losses.n = 0;
	pi->pamms.n = 0;
}

void
cw_intel_free(struct cw_provider_intel *pi)
{
	free(pi->concerns.v);
	free(pi->visits.v);
	free(pi->safeguardings.v);
	free(pi->cqc.v);
	free(pi->ipc.v);
	free(pi->surveys.v);
	free(pi->restrictions.v);
	free(pi->notices.v);
	free(pi->losses.v);
	free(pi->pamms.v);
	cw_intel_init(pi);
}

bool cw_intel_add_concern(struct cw_provider_intel *pi, const struct cw_rec_concern *rec) { APPEND(pi->concerns, rec); }
bool cw_intel_add_visit(struct cw_provider_intel *pi, const struct cw_rec_visit *rec) { APPEND(pi->visits, rec); }
bool cw_intel_add_safeguarding(struct cw_provider_intel *pi, const struct cw_rec_safeguarding *rec) { APPEND(pi->safeguardings, rec); }
bool cw_intel_add_cqc(struct cw_provider_intel *pi, const struct cw_rec_cqc *rec) { APPEND(pi->cqc, rec); }
bool cw_intel_add_ipc(struct cw_provider_intel *pi, const struct cw_rec_ipc *rec) { APPEND(pi->ipc, rec); }
bool cw_intel_add_survey(struct cw_provider_intel *pi, const struct cw_rec_survey *rec) { APPEND(pi->surveys, rec); }
bool cw_intel_add_restriction(struct cw_provider_intel *pi, const struct cw_rec_restriction *rec) { APPEND(pi->restrictions, rec); }
bool cw_intel_add_notice(struct cw_provider_intel *pi, const struct cw_rec_notice *rec) { APPEND(pi->notices, rec); }
bool cw_intel_add_loss(struct cw_provider_intel *pi, const struct cw_rec_loss *rec) { APPEND(pi->losses, rec); }
bool cw_intel_add_pamms(struct cw_provider_intel *pi, const struct cw_rec_pamms *rec) { APPEND(pi->pamms, rec); }
