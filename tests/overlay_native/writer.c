/* Tries to change the application's memory: protection keys stop it where
 * the CPU has them. */
extern long app_counter;

int main(int argc, char **argv)
{
	(void)argc, (void)argv;
	app_counter = 12345;
	return 0;
}
