/* Reads the platform test application's tick counter by symbol. */
extern volatile unsigned long app_ticks;

int main(int argc, char **argv)
{
	(void)argc, (void)argv;
	return (int)app_ticks;
}
