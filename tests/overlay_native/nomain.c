/* No entry point: the loader must refuse it. */
int helper(int x)
{
	return x + 1;
}
