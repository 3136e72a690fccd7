// SPDX-License-Identifier: GPL-2.0
/*
 * Runner canary: stops making progress without printing anything, as a
 * wedged emulated host would.  The runner's stall detection must end the
 * boot and fail the run.
 */
#include <unistd.h>

int main(void)
{
	for (;;)
		pause();
}
