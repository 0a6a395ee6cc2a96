// SPDX-License-Identifier: Apache-2.0
#ifndef ENI_AGENT_CSYSTEMD_SHIM_H
#define ENI_AGENT_CSYSTEMD_SHIM_H

// The Swift side passes CODE_FILE/CODE_LINE/CODE_FUNC of the Swift caller itself; the header's
// location-adding macros would only ever see this shim.
#define SD_JOURNAL_SUPPRESS_LOCATION 1

#include <systemd/sd-daemon.h>
#include <systemd/sd-journal.h>
#include <sys/uio.h>

#endif
