package synth

// Arabic family names (Iraqi, Syrian, Lebanese, Yemeni, Palestinian,
// Egyptian, Moroccan), some with the article al-/el- that forms keep,
// join or drop, and some made of a patronymic ("Abdel Rahman").
const arabicSurnames = `Al-Hassan, Haddad, Khalil, Mansour, Saleh, Nasser, Hamdan, Karam, Aziz,
Ibrahim, Mahmoud, Abdallah, Youssef, Hussein, Ali, Ahmed, Mohamed, Hassan, Othman, Said, Salem,
Suleiman, Rashid, Farah, Khoury, Saad, Issa, Awad, Darwish, Fakhoury, Ghanem, Habib, Jaber, Kassem,
Mustafa, Nassar, Qasim, Radwan, Sabbagh, Shaheen, Taha, Yassin, Zaher, Zayed, Abu-Ghazaleh,
Al-Masri, Al-Khatib, Al-Najjar, Al-Sayed, El-Sayed, Abdel-Rahman, Abdelaziz, Abdul-Karim,
Al-Jabouri, Al-Obaidi, Al-Tamimi, Al-Dulaimi, Al-Rubaie, Al-Shammari, Al-Zubaidi, Al-Hashimi,
Al-Khafaji, Al-Saadi, Al-Ani, Al-Azzawi, Al-Qaisi, Al-Hakim, Al-Amin, El-Amin, Abu-Zaid, Ben Ali,
Bakr, Barakat, Bitar, Boutros, Chahine, Daher, Dib, Diab, Elias, Fares, Fawaz, Ghazal, Hajj,
Halabi, Hamad, Hamoud, Hanna, Harb, Hijazi, Homsi, Jarrah, Kanaan, Khalaf, Khatib, Maalouf,
Makdisi, Matar, Mikhail, Moussa, Murad, Nader, Najjar, Nasr, Noureddine, Obeid, Qureshi, Rahal,
Sabra, Sader, Saliba, Sarkis, Shalhoub, Shami, Tannous, Touma, Wehbe, Yacoub, Younes, Zaidan,
Zein, Alami, Benjelloun, Bennani, Berrada, Chraibi, El-Idrissi, Fassi, Lahlou, Tazi, Alaoui,
Al-Yemeni, Al-Hadrami, Al-Awlaki, Al-Ahdal, Al-Sharabi, Mohsen, Qaid, Saif, Shaif, Abdo, Nagi,
Abdelkader, Abdelhamid, Abdelmalek, Abdul-Jabbar, Abdul-Latif, Abu-Bakr, Abu-Khalil, Abu-Saleh,
Bin-Salem, Abdulrahman, Hammoud, Haidar, Fadel, Kamal, Mahdi, Sharif, Zaki`

const arabicFemale = `Fatima, Aisha, Mariam, Noor, Layla, Yasmin, Huda, Amira, Salma, Rania, Zainab,
Hana, Lina, Dina, Rasha, Reem, Sara, Nadia, Samira, Maha, Mona, Rana, Sahar, Suha, Wafa, Khadija,
Asma, Iman, Jamila, Latifa, Mayada, Najla, Rawan, Shaima, Widad, Yara, Amal, Basma, Dalia, Ghada,
Hiba, Inas, Joumana, Kawthar, Lubna, Manal, Nawal, Nisreen, Raghad, Ruba, Safa, Sana, Souad,
Tahani, Zahra, Hanan, Maryam, Heba, Alaa, Aya, Doaa, Esraa, Malak, Nada, Rahaf, Shahd, Tasneem`

const arabicMale = `Mohammed, Ahmed, Ali, Omar, Yusuf, Ibrahim, Khaled, Hassan, Hussein, Mustafa,
Abdullah, Tariq, Samir, Mahmoud, Karim, Walid, Ziad, Bilal, Hamza, Amir, Nabil, Rami, Fadi, Jamal,
Adel, Hani, Majid, Nasser, Osama, Saeed, Salah, Sami, Tamer, Yasser, Zaid, Abd al-Rahman,
Abd al-Aziz, Abd al-Karim, Abd al-Latif, Abd al-Qadir, Abd al-Hamid, Abd al-Malik, Abd al-Salam,
Anas, Ayman, Basel, Emad, Faisal, Ghassan, Haitham, Hisham, Imad, Issam, Jihad, Kamal, Louay,
Marwan, Moataz, Mohannad, Muhannad, Munir, Nour, Qais, Raed, Riyad, Saif, Sultan, Tawfiq, Wael,
Yahya, Younis, Zakaria, Suleiman, Murad, Idris, Ismail, Mansour, Hamid, Rashid, Yaseen`

// arabicVariants are the Latin spellings one Arabic name takes on forms
// (transliteration is not standardized); the first is the generator's own.
const arabicVariants = `Mohammed:Muhammad|Mohamed|Mohammad|Mohamad|Muhammed, Ahmed:Ahmad,
Yusuf:Youssef|Yousef|Yousif, Hussein:Husain|Hussain|Husein, Abdullah:Abdallah|Abd Allah|Abdalla,
Khaled:Khalid, Omar:Umar, Osama:Usama, Saeed:Said|Sayed, Fatima:Fatma|Fatimah|Fatema,
Aisha:Aicha|Ayesha|Aysha, Mariam:Maryam|Miriam, Zainab:Zeinab|Zaynab, Noor:Nour|Nur,
Layla:Leila|Laila, Yasmin:Yasmine|Jasmin, Hana:Hanaa, Huda:Houda, Rasha:Racha, Reem:Rim,
Abd al-Rahman:Abdul Rahman|Abdulrahman|Abdel Rahman|Abdelrahman, Abd al-Aziz:Abdul Aziz|Abdulaziz|Abdelaziz,
Abd al-Karim:Abdul Karim|Abdulkarim|Abdelkarim, Abd al-Latif:Abdul Latif|Abdellatif,
Abd al-Qadir:Abdul Qadir|Abdelkader|Abdulkadir, Abd al-Hamid:Abdul Hamid|Abdelhamid,
Abd al-Malik:Abdul Malik|Abdelmalek, Abd al-Salam:Abdul Salam|Abdessalam, Mustafa:Mostafa|Moustafa,
Mahmoud:Mahmud, Tariq:Tarek|Tarik, Walid:Waleed, Ziad:Ziyad, Hamza:Hamzah, Yasser:Yaser|Yassir,
Saif:Sayf|Seif, Zaid:Zayd|Zeid, Yahya:Yehia, Younis:Younes|Yunus, Zakaria:Zakariya|Zakariyya,
Suleiman:Sulaiman|Soliman, Ismail:Ismael, Rashid:Rachid|Rasheed, Yaseen:Yassin|Yasin,
Al-Hassan:Alhassan|El-Hassan|Hassan, Al-Masri:Almasri|El Masri|Masri, Al-Khatib:Alkhatib|Khatib,
Al-Najjar:Najjar|Alnajjar, Al-Sayed:El-Sayed|Elsayed|Sayed, El-Amin:Al-Amin|Amin, Abu-Zaid:Abu Zaid|Abuzaid,
Abdel-Rahman:Abdelrahman|Abdul Rahman, Abu-Ghazaleh:Abu Ghazaleh|Abughazaleh, Al-Jabouri:Aljabouri|Jabouri,
Al-Obaidi:Alobaidi|Obaidi, Al-Tamimi:Altamimi|Tamimi, Ben Ali:Benali|Bin Ali, Abdallah:Abdullah,
Mohamed:Mohammed|Muhammad, Youssef:Yusuf|Yousef, Hussein:Hussain, Abdul-Karim:Abdulkarim|Abdel Karim`

// arabicScript gives the Arabic-script form of a few names, for the rare
// form filled in Arabic (an online pre-application in the applicant's
// own script).
const arabicScript = `Mohammed:محمد, Ahmed:أحمد, Ali:علي, Omar:عمر, Yusuf:يوسف, Ibrahim:إبراهيم,
Khaled:خالد, Hassan:حسن, Hussein:حسين, Mustafa:مصطفى, Abdullah:عبد الله, Mahmoud:محمود,
Fatima:فاطمة, Aisha:عائشة, Mariam:مريم, Noor:نور, Layla:ليلى, Yasmin:ياسمين, Huda:هدى,
Zainab:زينب, Sara:سارة, Haddad:حداد, Khalil:خليل, Mansour:منصور, Saleh:صالح, Nasser:ناصر,
Hamdan:حمدان, Ibrahim:إبراهيم, Abdallah:عبد الله, Hassan:حسن, Ahmed:أحمد, Mohamed:محمد,
Said:سعيد, Salem:سالم, Rashid:راشد, Jaber:جابر, Kassem:قاسم, Yassin:ياسين, Taha:طه,
Abd al-Rahman:عبد الرحمن, Abd al-Aziz:عبد العزيز, Karim:كريم, Walid:وليد, Sami:سامي`
