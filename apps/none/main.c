/* apps/none — no application: the kernel alone, for image-size and boot
 * measurements (bench/kernel.sh). */
int main(void)
{
	return 0;
}
