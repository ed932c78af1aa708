/* Dereferences a near-null pointer: the fault must end the run with an
 * error while the application goes on. */
int main(int argc, char **argv)
{
	(void)argv;
	return (int)*(volatile long *)(long)(16 + argc - 1);
}
