/* A native program that tries to change the store's memory (its request
 * counter): with protection keys the write faults and the overlay reports
 * it; the store goes on. */
extern volatile unsigned long kv_requests;

int main(int argc, char **argv)
{
	(void)argc, (void)argv;
	kv_requests = 0;
	return 1;
}
