/* Placeholder entry point until the daemon life cycle lands (issue 2). */
#include "build_config.h"
#include <stdio.h>
int main(void)
{
	printf("%s\n", PACKAGE_STRING);
	return 0;
}
