/* Reads a counter of the application by symbol, and calls one of its
 * functions. */
extern long app_counter;
long app_double(long v);

int main(int argc, char **argv)
{
	(void)argc, (void)argv;
	return (int)app_double(app_counter);
}
