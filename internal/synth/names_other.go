package synth

// Other residents: Chinese, South Asian, West African, Brazilian, Eastern
// European, Turkish and others, a tenth of a New England city's applicants.
const otherSurnames = `Chen, Wang, Li, Zhang, Liu, Yang, Huang, Zhao, Wu, Zhou, Xu, Sun, Ma, Zhu,
Hu, Guo, Lin, He, Gao, Luo, Zheng, Liang, Xie, Tang, Feng, Deng, Cao, Patel, Shah, Singh, Kumar,
Sharma, Gupta, Desai, Mehta, Reddy, Rao, Iyer, Nair, Pillai, Joshi, Chaudhary, Das, Bose, Khan,
Hossain, Rahman, Islam, Akter, Begum, Uddin, Chowdhury, Okafor, Adeyemi, Okonkwo, Nwosu, Eze,
Oluwaseun, Mensah, Owusu, Boateng, Asante, Appiah, Diallo, Traoré, Keita, Coulibaly, Sow, Barry,
Camara, Touré, N'Diaye, Ba, Kamara, Conteh, Kargbo, Tesfaye, Bekele, Haile, Tadesse, Girma,
Mohamud, Abdi, Farah, Osman, Warsame, Oliveira, Santos, Souza, Lima, Ferreira, Rodrigues, Alves,
Ribeiro, Gomes, Martins, Araújo, Barbosa, Rocha, Dias, Nascimento, Moreira, Cardoso, Teixeira,
Ivanov, Petrov, Smirnov, Kuznetsov, Popov, Sokolov, Shevchenko, Kovalenko, Bondarenko, Tkachenko,
Kowalczyk, Nowak, Yılmaz, Kaya, Demir, Şahin, Çelik, Öztürk, Aydın, Tanaka, Suzuki, Kim, Lee, Park,
Choi, Jung, Kang, Cho, Yoon, Jang, Lim, Han, Nguyen, Ramos, Santos, Reyes, Cruz, Bautista, Garcia,
Mendoza, Aquino, Dela Cruz, Villanueva, Castro, Pham, Tran, Karimi, Hosseini, Ahmadi, Rezaei,
Mohammadi, Moradi, Sadeghi, Jafari, Popescu, Ionescu, Stan, Dumitru, Murati, Hoxha, Krasniqi,
Gashi, Berisha`

const otherFemale = `Wei, Priya, Ananya, Olga, Agnieszka, Chiamaka, Ngozi, Mei, Svetlana, Aiko,
Fatoumata, Zeynep, Li, Xiu, Ying, Jing, Fang, Lan, Hui, Aarti, Deepa, Kavita, Lakshmi, Neha, Pooja,
Sunita, Anjali, Farida, Nasrin, Rehana, Shirin, Adaeze, Chioma, Funmilayo, Ifeoma, Nneka, Yetunde,
Abena, Akosua, Ama, Efua, Aminata, Mariama, Kadiatou, Hawa, Aster, Hirut, Meron, Tigist, Hodan,
Fadumo, Ana Paula, Juliana, Luana, Raquel, Tatiana, Natalia, Irina, Oksana, Yulia, Ayşe, Elif,
Emine, Yuki, Sakura, Ji-woo, Seo-yeon, Min-ji, Mariel, Kristine, Roselyn, Leila, Parisa, Maryam,
Ioana, Elena, Arta, Drita`

const otherMale = `Wei, Rajesh, Arjun, Dmitri, Tomasz, Chukwuemeka, Kwame, Hiroshi, Jun, Mamadou,
Emre, Oleksandr, Jian, Ming, Hao, Lei, Qiang, Tao, Yong, Amit, Anil, Deepak, Ravi, Sanjay, Sunil,
Vijay, Rahul, Imran, Rafiq, Jahangir, Tanvir, Chinedu, Emeka, Obinna, Oluwaseun, Tunde, Femi,
Kofi, Kwabena, Yaw, Kojo, Moussa, Ibrahima, Ousmane, Abdoulaye, Sekou, Alhaji, Dawit, Yonas,
Tesfaye, Abdirahman, Mohamed, Abdi, João, Pedro, Lucas, Rafael, Thiago, Gustavo, Marcos, Sergei,
Ivan, Andrei, Vladimir, Mykola, Piotr, Krzysztof, Mehmet, Mustafa, Ahmet, Takashi, Kenji,
Min-jun, Seo-jun, Ji-ho, Jose Mari, Rodel, Reza, Ali Reza, Hossein, Mihai, Andrei, Arben, Blerim`
