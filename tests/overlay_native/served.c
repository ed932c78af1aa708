/* Reads the test application's request counter by symbol. */
extern unsigned long tapp_served;

int main(int argc, char **argv)
{
	(void)argc, (void)argv;
	return (int)tapp_served;
}
